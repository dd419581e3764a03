package main

import "syscall"

// sysProcAttr makes the kernel send the application SIGTERM if
// gostream-submit dies first, so that no application outlives it unnoticed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
