// Package workspace answers three questions about a chat job that the
// routing policy needs and the request does not say outright: which
// directories the coding agent says it works in (Dirs), what the
// .switchyard.yaml policy files above them say (Store), and how many
// distinct files the job involves (CountFiles).
//
// Unlike package policy it touches the filesystem (Store reads policy
// files) but it never logs: it reports problems in its results so the
// caller can log, explain and doctor them once.
//
// Directory statements are trusted by where they appear, not by what they
// say: only system messages and the first user message (where the agents
// put their environment block) count, so a path planted in a tool result,
// a file's content or a later turn cannot move a job to another
// repository's policy. See testdata/agents for what each agent really sends.
package workspace
