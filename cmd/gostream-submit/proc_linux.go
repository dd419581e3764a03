package main

import (
	"os"
	"syscall"
	"unsafe"
)

// sysProcAttr makes the kernel send the application SIGTERM if
// gostream-submit dies first, so that no application outlives it unnoticed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// terminalWidth is the width in columns of the terminal f is, 0 when
// unknown.
func terminalWidth(f *os.File) int {
	var ws struct{ rows, cols, x, y uint16 }
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCGWINSZ, uintptr(unsafe.Pointer(&ws))); errno != 0 {
		return 0
	}
	return int(ws.cols)
}
