package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard/switchyard/configs"
	"github.com/switchyard/switchyard/providers/ollama/ollamafake"
)

// The one way the tests configure and start a daemon: a configs.Config,
// from the bundled defaults with the test's changes, written as the file
// `switchyard serve` reads.

// testConfig is the configuration every daemon rig starts from: the
// bundled defaults on a free port, a quick shutdown, warn logs, the audit
// log in dir, and one provider, the local model (qwen3-coder:30b) at
// ollamaURL with 64 GiB to use.
func testConfig(t *testing.T, dir, ollamaURL string) configs.Config {
	t.Helper()
	cfg, err := configs.Read(nil, configs.BuiltIn, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = freePort(t)
	cfg.Server.ShutdownTimeout = 5 * time.Second
	cfg.Log.Level = "warn"
	cfg.Audit.Path = filepath.Join(dir, "egress.jsonl")
	cfg.Providers = []configs.Provider{ollamaProvider("local", ollamaURL)}
	return *cfg
}

// ollamaProvider is the local model at url, with 64 GiB to use.
func ollamaProvider(name, url string) configs.Provider {
	return configs.Provider{Name: name, Kind: configs.KindOllama, BaseURL: url, Model: "qwen3-coder:30b", Memory: 64 << 30}
}

// cloudProvider is a cloud model of kind at url whose key is in keyEnv.
func cloudProvider(name, kind, url, model, keyEnv string, window int) configs.Provider {
	return configs.Provider{Name: name, Kind: kind, BaseURL: url, Model: model, APIKeyEnv: keyEnv, ContextWindow: window}
}

// startDaemon serves cfg in-process until the test ends, and waits until
// it answers. fake, when the local model is the fake, is kept for the rig.
func startDaemon(t *testing.T, dir string, cfg configs.Config, fake *ollamafake.Server, env map[string]string) *seedRig {
	t.Helper()
	path := writeConfigOf(t, dir, cfg)
	return runServe(t, fake, cfg.Listen, dir, path, env)
}

// readConfig reads cfg back as switchyard reads a file, with env for its
// variables: validated, defaults applied, as build wants it.
func readConfig(t *testing.T, cfg configs.Config, env configs.Env) *configs.Config {
	t.Helper()
	got, err := configs.Read(strings.NewReader(configYAML(t, cfg)), "test config", env)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// writeConfigOf writes cfg as dir/switchyard.yaml and returns its path.
func writeConfigOf(t *testing.T, dir string, cfg configs.Config) string {
	t.Helper()
	return writeConfig(t, dir, configYAML(t, cfg))
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "switchyard.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// configYAML is cfg as a file: every key, zero or not, so a zero the test
// set is not taken for one it left out (which would be the bundled
// default); nil pointers and slow_after's old name are left out.
func configYAML(t *testing.T, cfg configs.Config) string {
	t.Helper()
	b, err := yaml.Marshal(yamlValue(reflect.ValueOf(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func yamlValue(v reflect.Value) any {
	switch {
	case v.Type() == reflect.TypeOf(time.Duration(0)):
		return time.Duration(v.Int()).String()
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return yamlValue(v.Elem())
	case v.Kind() == reflect.Struct:
		m := yaml.Node{Kind: yaml.MappingNode}
		for i := 0; i < v.NumField(); i++ {
			key := v.Type().Field(i).Tag.Get("mapstructure")
			if key == "" || key == "-" || key == "timeout" || v.Field(i).Kind() == reflect.Pointer && v.Field(i).IsNil() {
				continue
			}
			var val yaml.Node
			if err := val.Encode(yamlValue(v.Field(i))); err != nil {
				panic(err)
			}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &val)
		}
		return &m
	case v.Kind() == reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = yamlValue(v.Index(i))
		}
		return out
	}
	return v.Interface()
}

// TestConfigYAMLRoundTrips: what configYAML writes reads back as what
// was written, zeros and pointers included, and stays so.
func TestConfigYAMLRoundTrips(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "http://127.0.0.1:1")
	cfg.Policy.Heavy.MinFiles = 0
	local := true
	cfg.Providers = append(cfg.Providers, cloudProvider("devstral", configs.KindMistral, "http://h/v1", "m", "K", 262144))
	cfg.Providers[1].Local = &local
	cfg.Providers[0].FirstByteTimeout = 90 * time.Second
	read := func(c configs.Config) configs.Config {
		got, err := configs.Read(strings.NewReader(configYAML(t, c)), "t.yaml", nil)
		if err != nil {
			t.Fatalf("%v\n%s", err, configYAML(t, c))
		}
		return *got
	}
	once := read(cfg)
	if once.Policy.Heavy.MinFiles != 0 || !once.Providers[1].IsLocal() || once.Providers[0].FirstByteTimeout != 90*time.Second || once.Listen != cfg.Listen {
		t.Errorf("read back %+v", once)
	}
	if twice := read(once); !reflect.DeepEqual(twice, once) {
		t.Errorf("a second round trip changed it:\n%+v\n%+v", twice, once)
	}
}
