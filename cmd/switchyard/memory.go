package main

import "runtime/debug"

// releaseStartupMemory gives back what starting up used and idling does
// not: the heap's garbage (the vocabulary as Ollama sent it is ~5 MB of
// JSON and tens of MB as Go strings) and, where the system allows, this
// process's mappings of the code and constants only start-up ran (the
// dependencies' initialisation is about half of an idle daemon's resident
// pages). Code that runs again is mapped again from the page cache on its
// next use. It is safe to call at any time, any number of times.
func releaseStartupMemory() {
	debug.FreeOSMemory()
	releaseCodePages()
}
