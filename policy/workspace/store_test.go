package workspace

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/policy"
)

// fakeClock is a clock tests step by hand, so the stat interval is passed
// without sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestStore(t *testing.T) (*Store, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	return NewStore(StoreOptions{Now: clk.Now, StatInterval: time.Second}), clk
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStoreLookup(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "src", "app")
	deep := filepath.Join(repo, "cmd", "tool")
	other := filepath.Join(root, "plain")
	for _, d := range []string{deep, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(repo, FileName), "privacy: public\nclouds: [devstral]\n")
	writeFile(t, filepath.Join(root, "afile"), "x")
	s, _ := newTestStore(t)

	t.Run("found-in-dir", func(t *testing.T) {
		p := s.Lookup(repo)
		if p.Privacy != policy.Public || !slices.Equal(p.Clouds, []string{"devstral"}) || p.File != filepath.Join(repo, FileName) || p.Err != nil || !p.Found() {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("found-walking-up", func(t *testing.T) {
		p := s.Lookup(deep + "/")
		if p.File != filepath.Join(repo, FileName) || p.Privacy != policy.Public {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("none-found", func(t *testing.T) {
		// The walk goes on above the temp dir; the test machine has no
		// .switchyard.yaml in /tmp or /.
		p := s.Lookup(other)
		if p.Found() || p.Err != nil || p.DirErr != nil || p.Privacy != "" {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("missing-dir", func(t *testing.T) {
		// A path inside a repository that does not exist yet is still in
		// it: the search starts from the nearest directory that exists.
		p := s.Lookup(filepath.Join(repo, "no", "such"))
		if p.File != filepath.Join(repo, FileName) || p.Privacy != policy.Public || p.DirErr == nil || p.Err != nil || !strings.Contains(p.DirErr.Error(), "does not exist") {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("not-a-dir", func(t *testing.T) {
		p := s.Lookup(filepath.Join(root, "afile"))
		if p.Found() || p.DirErr == nil || !strings.Contains(p.DirErr.Error(), "not a directory") {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("relative", func(t *testing.T) {
		if p := s.Lookup("src/app"); p.DirErr == nil || p.Found() {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("returned-clouds-are-a-copy", func(t *testing.T) {
		p := s.Lookup(repo)
		p.Clouds[0] = "mutated"
		if q := s.Lookup(repo); q.Clouds[0] != "devstral" {
			t.Fatalf("cache was mutated through a result: %+v", q)
		}
	})
}

func TestStoreFailsClosed(t *testing.T) {
	root := t.TempDir()
	tests := []struct {
		name   string
		setup  func(dir string)
		errHas string
	}{
		{"invalid-yaml", func(d string) { writeFile(t, filepath.Join(d, FileName), "privacy: [\n") }, "yaml"},
		{"unknown-key", func(d string) { writeFile(t, filepath.Join(d, FileName), "privacy: public\nprivat: x\n") }, `unknown key "privat"`},
		{"empty", func(d string) { writeFile(t, filepath.Join(d, FileName), "") }, "empty"},
		// Root reads a chmod 000 file anyway, so unreadable is a directory
		// in the file's place.
		{"directory-in-its-place", func(d string) {
			if err := os.MkdirAll(filepath.Join(d, FileName), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "is a directory"},
		{"too-large", func(d string) {
			writeFile(t, filepath.Join(d, FileName), "privacy: public\n"+strings.Repeat("#\n", maxPolicyFileSize))
		}, "at most"},
		{"dangling-symlink", func(d string) {
			if err := os.Symlink(filepath.Join(d, "nowhere"), filepath.Join(d, FileName)); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link to nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(root, tt.name)
			if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			tt.setup(dir)
			s, _ := newTestStore(t)
			p := s.Lookup(filepath.Join(dir, "sub"))
			if p.Privacy != policy.Private || p.Err == nil || p.File != filepath.Join(dir, FileName) {
				t.Fatalf("want Private with Err for %s, got %+v", p.File, p)
			}
			if !strings.Contains(p.Err.Error(), tt.errHas) || !strings.Contains(p.Err.Error(), p.File) {
				t.Fatalf("Err = %v, want it to name the file and say %q", p.Err, tt.errHas)
			}
			if !slices.Contains(s.Known(), p.File) {
				t.Fatalf("Known() = %v lacks the invalid file", s.Known())
			}
		})
	}
}

func TestStoreSeesChanges(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	sub := filepath.Join(repo, "sub")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(repo, FileName)
	writeFile(t, f, "privacy: private\n")
	s, clk := newTestStore(t)

	if p := s.Lookup(sub); p.Privacy != policy.Private || p.File != f {
		t.Fatalf("start: %+v", p)
	}
	// Same length, so only mtime/ctime/inode can tell.
	writeFile(t, f, "privacy: public \n")
	if p := s.Lookup(sub); p.Privacy != policy.Private {
		t.Fatalf("within the stat interval the cached answer stands: %+v", p)
	}
	clk.Add(1100 * time.Millisecond)
	if p := s.Lookup(sub); p.Privacy != policy.Public {
		t.Fatalf("edit not seen after the interval: %+v", p)
	}

	// Replaced by rename (what editors do): a new inode.
	tmp := filepath.Join(repo, ".tmp")
	writeFile(t, tmp, "privacy: public\nclouds: [gemini]\n")
	if err := os.Rename(tmp, f); err != nil {
		t.Fatal(err)
	}
	clk.Add(1100 * time.Millisecond)
	if p := s.Lookup(sub); !slices.Equal(p.Clouds, []string{"gemini"}) {
		t.Fatalf("rename not seen: %+v", p)
	}

	// A nearer policy file appears.
	near := filepath.Join(sub, FileName)
	writeFile(t, near, "privacy: private\n")
	clk.Add(1100 * time.Millisecond)
	if p := s.Lookup(sub); p.File != near || p.Privacy != policy.Private {
		t.Fatalf("new nearer file not seen: %+v", p)
	}

	// It goes away again; the outer one decides.
	if err := os.Remove(near); err != nil {
		t.Fatal(err)
	}
	clk.Add(1100 * time.Millisecond)
	if p := s.Lookup(sub); p.File != f {
		t.Fatalf("removal not seen: %+v", p)
	}

	// Broken, then fixed.
	writeFile(t, f, "privacy: maybe\n")
	clk.Add(1100 * time.Millisecond)
	if p := s.Lookup(sub); p.Err == nil || p.Privacy != policy.Private {
		t.Fatalf("breakage not seen: %+v", p)
	}
	writeFile(t, f, "privacy: public\n")
	clk.Add(1100 * time.Millisecond)
	if p := s.Lookup(sub); p.Err != nil || p.Privacy != policy.Public {
		t.Fatalf("fix not seen: %+v", p)
	}
	if got := s.Known(); !slices.Equal(got, []string{f, near}) && !slices.Equal(got, []string{near, f}) {
		t.Fatalf("Known() = %v", got)
	}
}

func TestStoreStatsAtMostOncePerInterval(t *testing.T) {
	root := t.TempDir()
	f := filepath.Join(root, FileName)
	writeFile(t, f, "privacy: private\n")
	s, clk := newTestStore(t)
	s.Lookup(root)
	// Remove the file: a store that stats on every lookup would notice at
	// once; ours must not until the interval has passed.
	if err := os.Remove(f); err != nil {
		t.Fatal(err)
	}
	clk.Add(900 * time.Millisecond)
	if p := s.Lookup(root); p.File != f {
		t.Fatalf("re-statted within the interval: %+v", p)
	}
	clk.Add(200 * time.Millisecond)
	if p := s.Lookup(root); p.File == f {
		t.Fatalf("did not re-stat after the interval: %+v", p)
	}
}

func TestStoreNegativeIntervalAlwaysStats(t *testing.T) {
	root := t.TempDir()
	s := NewStore(StoreOptions{StatInterval: -1})
	if p := s.Lookup(root); p.File == filepath.Join(root, FileName) {
		t.Fatalf("%+v", p)
	}
	writeFile(t, filepath.Join(root, FileName), "privacy: public\n")
	if p := s.Lookup(root); p.Privacy != policy.Public {
		t.Fatalf("%+v", p)
	}
}

func TestStoreBounded(t *testing.T) {
	root := t.TempDir()
	const max = 8
	s := NewStore(StoreOptions{MaxEntries: max})
	for i := range 50 {
		d := filepath.Join(root, fmt.Sprint(i))
		writeFile(t, filepath.Join(d, FileName), "privacy: private\n")
		if p := s.Lookup(d); p.Privacy != policy.Private {
			t.Fatalf("%d: %+v", i, p)
		}
	}
	s.mu.Lock()
	nStats, nFiles := s.stats.len(), s.files.len()
	s.mu.Unlock()
	if nStats > max || nFiles > max || len(s.Known()) > max {
		t.Fatalf("caches grew past %d: stats %d files %d", max, nStats, nFiles)
	}
	// The most recent ones are the ones kept.
	if !slices.Contains(s.Known(), filepath.Join(root, "49", FileName)) {
		t.Fatalf("Known() = %v", s.Known())
	}
}

func TestStoreConcurrent(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for i := range 4 {
		d := filepath.Join(root, fmt.Sprint(i), "a", "b")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(root, fmt.Sprint(i), FileName), "privacy: public\nclouds: [x]\n")
		dirs = append(dirs, d)
	}
	s := NewStore(StoreOptions{StatInterval: -1, MaxEntries: 3})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				d := dirs[(g+i)%len(dirs)]
				if p := s.Lookup(d); p.Privacy != policy.Public || len(p.Clouds) != 1 {
					t.Errorf("%s: %+v", d, p)
					return
				}
				if i%50 == 0 {
					// Replace by rename: an in-place rewrite is briefly
					// empty, which a lookup rightly reports as invalid.
					f := filepath.Join(filepath.Dir(filepath.Dir(d)), FileName)
					tmp := fmt.Sprintf("%s.%d.%d", f, g, i)
					writeFile(t, tmp, "privacy: public\nclouds: [x]\n")
					if err := os.Rename(tmp, f); err != nil {
						t.Error(err)
					}
				}
				_ = s.Known()
			}
		}()
	}
	wg.Wait()
}
