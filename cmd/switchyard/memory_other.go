//go:build !linux

package main

func releaseCodePages() {}
