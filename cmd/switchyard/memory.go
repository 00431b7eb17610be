package main

import "runtime/debug"

// releaseMemory gives back what starting up or a burst of requests used
// and idling does not: the heap's garbage (the vocabulary as Ollama sent
// it is ~5 MB of JSON and tens of MB as Go strings; a burst of megabyte
// conversations leaves a heap sized for it) and, where the system allows,
// this process's mappings of the executable's code and constants (the
// dependencies' initialisation is about half of an idle daemon's resident
// pages). Those are the page cache's pages, which the kernel may take back
// from any process at any time: code that runs again is mapped again from
// there on its next use, at the cost of a minor fault per few pages. It is
// safe to call at any time, any number of times.
func releaseMemory() {
	debug.FreeOSMemory()
	releaseCodePages()
}
