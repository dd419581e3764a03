// Package notmain is not a main package: gostream-submit must refuse to run it.
package notmain

// X is exported so that the package has something in it.
const X = 1
