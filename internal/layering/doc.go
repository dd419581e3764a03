// Package layering holds no code. Its test guards the module's layering
// (docs/ARCHITECTURE.md: dependencies point downward): every package of the
// module, tests and integration tests included, imports only the module
// packages its rule in layering_test.go allows. So the engine never imports
// YARN or Hadoop code, the executor runtime never imports the engine, the
// YARN client never imports the AM, and so on. A new package fails the test
// until it has a rule.
package layering
