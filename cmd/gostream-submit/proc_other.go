//go:build !linux

package main

import (
	"os"
	"syscall"
)

// sysProcAttr has nothing to add outside Linux.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// terminalWidth is unknown outside Linux.
func terminalWidth(*os.File) int { return 0 }
