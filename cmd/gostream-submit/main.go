package main

import "os"

func main() {
	os.Exit(submit(os.Args[1:], os.Environ(), stdio{os.Stdin, os.Stdout, os.Stderr}, notifySignals))
}
