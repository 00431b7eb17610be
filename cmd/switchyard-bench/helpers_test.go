package main

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func benchOptions() ollamafake.Options {
	return ollamafake.Options{Models: []ollamafake.Model{benchModel()}}
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
