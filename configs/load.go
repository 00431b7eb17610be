package configs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// BuiltIn is the Source of a configuration read from the bundled defaults.
const BuiltIn = "built-in defaults"

// Env looks up an environment variable; os.LookupEnv in production.
type Env func(key string) (string, bool)

// Locate returns the configuration file to read: explicit if given, else the
// first that exists of $SWITCHYARD_CONFIG, $XDG_CONFIG_HOME/switchyard/switchyard.yaml
// (or ~/.config/switchyard/switchyard.yaml) and /etc/switchyard/switchyard.yaml.
// It returns "" when none exists (the built-in defaults apply). A path that
// was named explicitly (flag or $SWITCHYARD_CONFIG) must exist.
func Locate(explicit string, env Env) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if p, ok := env("SWITCHYARD_CONFIG"); ok && p != "" {
		return p, nil
	}
	var candidates []string
	if x, ok := env("XDG_CONFIG_HOME"); ok && x != "" {
		candidates = append(candidates, filepath.Join(x, "switchyard", "switchyard.yaml"))
	} else if h, ok := env("HOME"); ok && h != "" {
		candidates = append(candidates, filepath.Join(h, ".config", "switchyard", "switchyard.yaml"))
	}
	candidates = append(candidates, "/etc/switchyard/switchyard.yaml")
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", nil
}

// Load locates and reads the configuration (see Locate), applies the
// SWITCHYARD_* environment overrides and validates it. Every problem is
// reported at once, each with its key's path.
func Load(explicit string, env Env) (*Config, error) {
	path, err := Locate(explicit, env)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return Read(nil, BuiltIn, env)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	return Read(f, path, env)
}

// Read parses a configuration laid over the built-in defaults (r may be nil
// for the defaults alone), applies environment overrides and validates.
// source names r in errors.
func Read(r io.Reader, source string, env Env) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(Default)); err != nil {
		return nil, fmt.Errorf("config: built-in defaults: %w", err)
	}
	if r != nil {
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", source, err)
		}
		if len(bytes.TrimSpace(data)) > 0 {
			if err := v.MergeConfig(bytes.NewReader(data)); err != nil {
				return nil, fmt.Errorf("config: %s: %w", source, err)
			}
		}
	}
	settings := v.AllSettings()
	// A file that writes both names of one key is a problem; an
	// environment override under the old name beats the file's new one.
	written := map[string]string{} // a new key's path → the old name it was written as
	problems := foldAliases(settings, false, written)
	if env != nil {
		applyEnv(settings, reflect.TypeOf(Config{}), "SWITCHYARD", env)
		foldAliases(settings, true, written)
	}

	var cfg Config
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result: &cfg,
		// Unknown keys are found by unknownKeys, every one of them; see
		// there why not by mapstructure.
		ErrorUnused:      false,
		WeaklyTypedInput: true,
		DecodeHook:       mapstructure.ComposeDecodeHookFunc(durationHook, byteSizeHook),
	})
	if err != nil {
		return nil, err
	}
	// Every stage runs, whatever the one before found: a file with an
	// unknown key and a misspelt kind gets both reported in one run.
	problems = append(problems, unknownKeys(settings, reflect.TypeOf(Config{}), "")...)
	if err := dec.Decode(settings); err != nil {
		problems = append(problems, decodeProblems(err)...)
	}
	cfg.Source = source
	cfg.applyDefaults()
	if problems = merge(problems, cfg.Validate()); len(problems) > 0 {
		for i, pr := range problems {
			if old, ok := written[pr.Path]; ok {
				problems[i].Path = old // say the key as the file wrote it
			}
		}
		return nil, &Error{Source: source, Problems: problems}
	}
	return &cfg, nil
}

// aliases are the keys still read under an old name, by where they are:
// providers[].timeout is providers[].slow_after.
var aliases = []struct{ list, old, key string }{
	{"providers", "timeout", "slow_after"},
}

// isOldName reports whether key is an alias's old name, left out of the
// keys a problem lists as allowed.
func isOldName(key string) bool {
	for _, a := range aliases {
		if a.old == key {
			return true
		}
	}
	return false
}

// foldAliases moves every old-named key of settings to its new name,
// noting in written the path it was written at. When both are set, the old
// one wins if override (it came from the environment, which beats the
// file), else it is a problem unless both say the same.
func foldAliases(settings map[string]any, override bool, written map[string]string) []Problem {
	var out []Problem
	for _, a := range aliases {
		list, _ := settings[a.list].([]any)
		for i, el := range list {
			m, ok := el.(map[string]any)
			if !ok {
				continue
			}
			old, ok := m[a.old]
			if !ok {
				continue
			}
			delete(m, a.old)
			at := fmt.Sprintf("%s[%d].", a.list, i)
			if cur, both := m[a.key]; both && !override && fmt.Sprint(cur) != fmt.Sprint(old) {
				out = append(out, Problem{at + a.old, fmt.Sprintf("is the old name of %s, which is set too: keep %s alone", a.key, a.key)})
				continue
			}
			m[a.key] = old
			written[at+a.key] = at + a.old
		}
	}
	return out
}

// byteSizeHook lets a ByteSize be written as "64GiB" as well as a number.
func byteSizeHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeOf(ByteSize(0)) || from.Kind() != reflect.String {
		return data, nil
	}
	return ParseByteSize(data.(string))
}

// applyEnv sets, in the settings map, every key that has a SWITCHYARD_<PATH>
// environment variable. It walks the Config type rather than the map so a
// key absent from the files can still be set. List elements are reached by
// index and, when they have a name, by name.
func applyEnv(m map[string]any, t reflect.Type, prefix string, env Env) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("mapstructure")
		if key == "" || key == "-" {
			continue
		}
		name := prefix + "_" + strings.ToUpper(key)
		ft := f.Type
		switch {
		case ft.Kind() == reflect.Struct && ft.PkgPath() != "time":
			sub, _ := m[key].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
			}
			applyEnv(sub, ft, name, env)
			if len(sub) > 0 {
				m[key] = sub
			}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			list, _ := m[key].([]any)
			for idx, el := range list {
				em, ok := el.(map[string]any)
				if !ok {
					continue
				}
				applyEnv(em, ft.Elem(), fmt.Sprintf("%s_%d", name, idx), env)
				if n, ok := em["name"].(string); ok && n != "" {
					applyEnv(em, ft.Elem(), name+"_"+envWord(n), env)
				}
			}
		default:
			if val, ok := env(name); ok {
				m[key] = val
			}
		}
	}
}

// envWord turns a provider name into the form it takes in a variable name.
func envWord(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, s)
}
