package tokenize_test

import (
	"sync"
	"testing"

	"github.com/switchyard/switchyard/policy/tokenize"
)

func TestCorrection(t *testing.T) {
	t.Run("prior-errs-high", func(t *testing.T) {
		c := tokenize.NewCorrection(0)
		if got := c.Adjust(1000); got != 1150 {
			t.Errorf("Adjust(1000) with the default prior = %d, want 1150", got)
		}
		if got := tokenize.NewCorrection(1.3).Adjust(100); got != 130 {
			t.Errorf("prior 1.3: Adjust(100) = %d", got)
		}
		if got := tokenize.NewCorrection(10).Ratio(); got != tokenize.MaxRatio {
			t.Errorf("prior 10 should clamp to %v, got %v", tokenize.MaxRatio, got)
		}
	})
	t.Run("learns-a-steady-ratio", func(t *testing.T) {
		c := tokenize.NewCorrection(0)
		for range 50 {
			c.Observe(10000, 12500)
		}
		if r := c.Ratio(); r < 1.24 || r > 1.26 {
			t.Errorf("Ratio = %v, want about 1.25", r)
		}
	})
	t.Run("outlier-moves-it-little", func(t *testing.T) {
		c := tokenize.NewCorrection(0)
		for range 50 {
			c.Observe(10000, 11000)
		}
		c.Observe(10000, 1000000) // clamped to 3
		if r := c.Ratio(); r > 1.5 {
			t.Errorf("one outlier pushed Ratio to %v", r)
		}
		c.Observe(10000, 1) // clamped to 0.5
		if r := c.Ratio(); r < 1.0 {
			t.Errorf("one low outlier pulled Ratio to %v", r)
		}
	})
	t.Run("small-requests-weigh-less", func(t *testing.T) {
		c := tokenize.NewCorrection(0)
		c.Observe(5000, 5000) // first observation
		before := c.Ratio()
		c.Observe(10, 30)
		if d := c.Ratio() - before; d > 0.01 {
			t.Errorf("a 10-token request moved Ratio by %v", d)
		}
	})
	t.Run("ignores-meaningless", func(t *testing.T) {
		c := tokenize.NewCorrection(0)
		c.Observe(0, 100)
		c.Observe(100, 0)
		c.Observe(-5, 100)
		if r := c.Ratio(); r != tokenize.DefaultPrior {
			t.Errorf("Ratio = %v after meaningless observations", r)
		}
		if got := c.Adjust(0); got != 0 {
			t.Errorf("Adjust(0) = %d", got)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		c := tokenize.NewCorrection(0)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 1000 {
					c.Observe(2000, 3000)
					c.Adjust(100)
				}
			}()
		}
		wg.Wait()
		if r := c.Ratio(); r < 1.49 || r > 1.51 {
			t.Errorf("Ratio = %v, want 1.5", r)
		}
	})
}
