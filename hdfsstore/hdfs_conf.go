package hdfsstore

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/user"
	"path"
	"strings"
)

// parseHDFSURI splits hdfs://authority/path. The path is cleaned and absolute.
func parseHDFSURI(p string) (authority, name string, err error) {
	u, err := url.Parse(p)
	if err != nil {
		return "", "", fmt.Errorf("bad file system URI %q: %v (%w)", p, err, fs.ErrInvalid)
	}
	if u.Scheme != "hdfs" {
		return "", "", fmt.Errorf("%q is not an hdfs:// URI (%w)", p, fs.ErrInvalid)
	}
	if u.Opaque != "" {
		return "", "", fmt.Errorf("bad hdfs URI %q: want hdfs://namenode:port/path (%w)", p, fs.ErrInvalid)
	}
	name = cleanAbs(u.Path)
	return u.Host, name, nil
}

// cleanAbs makes a slash path absolute and clean ("" is "/").
func cleanAbs(p string) string { return path.Clean("/" + p) }

// hdfsUser is the user HDFS calls act as: HADOOP_USER_NAME, else the OS user.
func hdfsUser() (string, error) {
	if u := strings.TrimSpace(os.Getenv("HADOOP_USER_NAME")); u != "" {
		return u, nil
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	if u := os.Getenv("USER"); u != "" {
		return u, nil
	}
	return "", errors.New("no HDFS user: set HADOOP_USER_NAME")
}
