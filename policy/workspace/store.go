package workspace

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/policy"
)

// Defaults for StoreOptions' zero values.
const (
	DefaultMaxEntries   = 4096
	DefaultStatInterval = time.Second
)

// StoreOptions configures a Store. The zero value is usable.
type StoreOptions struct {
	// Now returns the current time; nil means time.Now. Tests inject a
	// clock to step past StatInterval without sleeping.
	Now func() time.Time
	// MaxEntries bounds each cache (stat results, parsed files); the least
	// recently used entry is forgotten first. 0 means DefaultMaxEntries.
	MaxEntries int
	// StatInterval is how long a stat result is trusted before the path is
	// statted again, so a lookup costs at most one stat per directory level
	// per interval and a changed, new or removed policy file is seen within
	// it. 0 means DefaultStatInterval; negative means stat on every lookup.
	StatInterval time.Duration
}

// Store finds and reads .switchyard.yaml files, caching what it read and
// noticing changes without a restart. It is safe for concurrent use.
//
// Why stat polling and not fsnotify: the set of directories is open-ended
// (every level above every directory a client names), inotify watches are a
// per-user limited resource shared with the user's editors and build
// tools, a watch cannot be put on a file that does not exist yet (a new
// policy file in a parent directory), and a watcher needs a goroutine that
// outlives requests. A stat per level at most once a second costs
// microseconds and has none of these problems.
type Store struct {
	now      func() time.Time
	interval time.Duration

	mu    sync.Mutex
	stats *lru[string, statEntry] // path → what stat said, and when
	files *lru[string, fileEntry] // policy file → what it said, and the identity it had
	links *lru[string, linkEntry] // path → what Lstat and Readlink said, and when

	// judged is Governing's answer for each path, and when it was made;
	// max bounds it.
	jmu    sync.RWMutex
	judged map[string]judgedEntry
	max    int
}

type statEntry struct {
	at  time.Time
	fi  fs.FileInfo // nil when err != nil
	err error
}

// fileID tells one version of a file from another.
type fileID struct {
	size, mtimeNS, ctimeNS int64
	ino                    uint64
	mode                   fs.FileMode
}

func idOf(fi fs.FileInfo) fileID {
	ino, ctime := fileIdentity(fi)
	return fileID{size: fi.Size(), mtimeNS: fi.ModTime().UnixNano(), ctimeNS: ctime, ino: ino, mode: fi.Mode()}
}

type fileEntry struct {
	id  fileID
	pol Policy
}

// NewStore returns an empty Store.
func NewStore(o StoreOptions) *Store {
	s := &Store{now: o.Now, interval: o.StatInterval}
	if s.now == nil {
		s.now = time.Now
	}
	if s.interval == 0 {
		s.interval = DefaultStatInterval
	}
	max := o.MaxEntries
	if max <= 0 {
		max = DefaultMaxEntries
	}
	s.stats = newLRU[string, statEntry](max)
	s.files = newLRU[string, fileEntry](max)
	s.links = newLRU[string, linkEntry](max)
	s.judged, s.max = make(map[string]judgedEntry), max
	return s
}

// Lookup returns the policy for dir: the first .switchyard.yaml found
// walking up from dir to the filesystem root.
//
//   - Found, valid: its privacy and clouds, File set.
//   - Found but unreadable or invalid, or a level of the walk that cannot
//     be examined (permission denied): Private, Err set, File the path
//     (fail closed).
//   - None found: the zero Privacy and File "" (the caller applies its
//     default).
//   - dir relative: DirErr set and nothing searched.
//   - dir missing or not a directory (a path inside a repository that does
//     not exist yet, or a file): DirErr set, and the search starts from the
//     nearest directory above it that exists.
func (s *Store) Lookup(dir string) Policy {
	if !filepath.IsAbs(dir) {
		return Policy{DirErr: fmt.Errorf("workspace: %q is not an absolute path", dir)}
	}
	dir = filepath.Clean(dir)
	// A directory that does not exist yet (a build output) or a file is
	// still inside its repository: search from the nearest directory above
	// it that exists, and say so. Applying the default instead would let a
	// private repository's job leave by naming a path inside it.
	var dirErr error
	for d := dir; ; {
		st := s.stat(d)
		if st.err == nil && st.fi.IsDir() {
			dir = d
			break
		}
		switch {
		case st.err != nil && !isNotExist(st.err):
			return Policy{Privacy: policy.Private, File: d, Err: fmt.Errorf("workspace: cannot examine %s: %w", d, st.err)}
		case dirErr == nil && st.err != nil:
			dirErr = fmt.Errorf("workspace: directory %s does not exist", dir)
		case dirErr == nil:
			dirErr = fmt.Errorf("workspace: %s is not a directory", dir)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return Policy{DirErr: dirErr}
		}
		d = parent
	}
	p := s.walk(dir)
	p.DirErr = dirErr
	return p
}

// walk searches for the policy file from the directory dir up to the root.
func (s *Store) walk(dir string) Policy {
	for d := dir; ; {
		f := filepath.Join(d, FileName)
		st := s.stat(f)
		switch {
		case st.err == nil:
			return s.read(f, st.fi)
		case !isNotExist(st.err):
			// EACCES on a level of the walk, or a link to nothing: a policy
			// file may be meant there. Remembered so doctor reports it.
			p := Policy{Privacy: policy.Private, File: f, Err: fmt.Errorf("workspace: cannot examine %s: %w", f, st.err)}
			s.mu.Lock()
			s.files.put(f, fileEntry{pol: p})
			s.mu.Unlock()
			return clonePolicy(p)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return Policy{}
		}
		d = parent
	}
}

// Known returns the policy files seen so far (valid or not), sorted, for
// doctor to validate. It holds at most StoreOptions.MaxEntries files.
func (s *Store) Known() []string {
	s.mu.Lock()
	ks := s.files.keys()
	s.mu.Unlock()
	slices.Sort(ks)
	return ks
}

func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// stat returns p's stat result, from the cache while it is fresh.
func (s *Store) stat(p string) statEntry {
	now := s.now()
	s.mu.Lock()
	e, ok := s.stats.get(p)
	s.mu.Unlock()
	if ok && s.fresh(e.at, now) {
		return e
	}
	fi, err := os.Lstat(p)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		fi, err = os.Stat(p)
		if err != nil && isNotExist(err) {
			// A link to nothing is not an absent file: a policy file may
			// have been meant there, so the walk must not go past it.
			err = fmt.Errorf("%s is a symbolic link to nothing (%v)", p, err)
		}
	}
	e = statEntry{at: now, fi: fi, err: err}
	s.mu.Lock()
	s.stats.put(p, e)
	s.mu.Unlock()
	return e
}

// read returns the policy in file f, whose stat is fi, reading and parsing
// it only when its identity changed since the last read. The read happens
// outside the lock so one slow disk does not stall every lookup.
func (s *Store) read(f string, fi fs.FileInfo) Policy {
	id := idOf(fi)
	s.mu.Lock()
	e, ok := s.files.get(f)
	s.mu.Unlock()
	if ok && e.id == id {
		return clonePolicy(e.pol)
	}
	readID, pol := readPolicyFile(f)
	if readID == nil {
		readID = &id
	}
	s.mu.Lock()
	s.files.put(f, fileEntry{id: *readID, pol: pol})
	s.mu.Unlock()
	return clonePolicy(pol)
}

// readPolicyFile opens, checks and parses f. It returns the identity of
// the file it actually read (nil when it could not open it) so a file
// replaced between stat and open is not cached under the old identity.
func readPolicyFile(f string) (*fileID, Policy) {
	fail := func(id *fileID, err error) (*fileID, Policy) {
		return id, Policy{Privacy: policy.Private, File: f, Err: fmt.Errorf("%s: %w", f, err)}
	}
	fh, err := openNonBlocking(f)
	if err != nil {
		return fail(nil, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return fail(nil, err)
	}
	id := idOf(fi)
	switch {
	case fi.IsDir():
		return fail(&id, errors.New("is a directory, not a policy file"))
	case !fi.Mode().IsRegular():
		return fail(&id, fmt.Errorf("is not a regular file (%s)", fi.Mode().Type()))
	case fi.Size() > maxPolicyFileSize:
		return fail(&id, fmt.Errorf("is %d bytes; a policy file is at most %d", fi.Size(), maxPolicyFileSize))
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxPolicyFileSize+1))
	if err != nil {
		return fail(&id, err)
	}
	if len(data) > maxPolicyFileSize {
		return fail(&id, fmt.Errorf("grew past %d bytes while being read", maxPolicyFileSize))
	}
	p, err := parsePolicy(data)
	if err != nil {
		return fail(&id, err)
	}
	p.File = f
	return &id, p
}

func clonePolicy(p Policy) Policy {
	if p.Clouds != nil {
		p.Clouds = slices.Clone(p.Clouds)
	}
	return p
}
