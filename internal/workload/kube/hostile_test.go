package kube

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goodDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: ok}
spec:
  selector: {matchLabels: {app: ok}}
  template:
    metadata: {labels: {app: ok}}
    spec: {containers: [{name: c, image: "c:1"}]}
`

func gapsText(objs *Objects) string {
	var b strings.Builder
	for _, g := range objs.Gaps {
		b.WriteString(g.Input + " | " + g.What + " | " + g.Reason + "\n")
	}
	return b.String()
}

func TestMalformedDocumentIsAGapNamingFileAndLine(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "mixed.yaml", goodDeployment+"---\n# a comment\nkind: Service\nmetadata: {name: [unclosed\n---\njust a string\n---\napiVersion: apps/v1beta1\nkind: DaemonSet\nmetadata: {name: old}\n---\n"+goodDeployment)
	objs, err := LoadManifests(context.Background(), []string{p}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs.Deployments) != 1 {
		t.Errorf("deployments = %d", len(objs.Deployments))
	}
	g := gapsText(objs)
	for _, want := range []string{
		p + ":11 | parse document | yaml: line 12:", // the file's line, not the document's
		p + ":14 | parse document | not a Kubernetes object",
		p + ":16 | read DaemonSet | apiVersion apps/v1beta1 is not read",
		p + ":20 | read Deployment/default/ok | duplicate of the object read at " + p + ":1",
	} {
		if !strings.Contains(g, want) {
			t.Errorf("gaps lack %q:\n%s", want, g)
		}
	}
	if len(objs.Gaps) != 4 {
		t.Errorf("gaps:\n%s", g)
	}
}

func TestNothingUsableIsAnError(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "bad.yaml", "\n\nkey: [1, 2\n")
	_, err := LoadManifests(context.Background(), []string{p}, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), p+":3: parse document") {
		t.Fatalf("err = %v", err)
	}
	if _, err := LoadManifests(context.Background(), []string{filepath.Join(dir, "absent.yaml")}, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("absent path: err = %v", err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	objs, err := LoadManifests(context.Background(), []string{empty}, LoadOptions{})
	if err != nil || len(objs.Gaps) != 1 || objs.Gaps[0].Reason != "no Kubernetes objects found" {
		t.Errorf("empty dir: %v %+v", err, objs)
	}
}

func TestHostileInputs(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", goodDeployment)
	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	deep := writeFile(t, dir, "deep.yaml", "a: "+strings.Repeat("[", 200_000)+strings.Repeat("]", 200_000)+"\n")
	// Compact block sequences: each "- " opens a level.
	deepB := writeFile(t, dir, "deepblock.yaml", strings.Repeat("- ", 50_000)+"x\n")
	laughs := "a: &a [x,x,x,x,x,x,x,x,x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		laughs += n + ": &" + n + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
		prev = n
	}
	bomb := writeFile(t, dir, "bomb.yaml", laughs)
	deepJSON := writeFile(t, dir, "deep.json", strings.Repeat(`{"a":`, 100_000)+"1"+strings.Repeat("}", 100_000))
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	objs, err := LoadManifests(context.Background(), []string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("took %v", el)
	}
	if len(objs.Deployments) != 1 {
		t.Errorf("deployments = %d", len(objs.Deployments))
	}
	g := gapsText(objs)
	for _, want := range []string{
		huge + " | read file | larger than 16777216 bytes; not read",
		deep + ":1 | parse document |",
		deepB + ":1 | parse document |",
		bomb + ":1 | parse document |",
		deepJSON + ":1 | parse document |",
		filepath.Join(dir, "link.yaml") + " | read file | symbolic link not followed",
	} {
		if !strings.Contains(g, want) {
			t.Errorf("gaps lack %q:\n%s", want, g)
		}
	}
	_ = good
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := writeFile(t, t.TempDir(), "a.yaml", goodDeployment)
	if _, err := LoadManifests(ctx, []string{p}, LoadOptions{}); err == nil {
		t.Error("a cancelled context must stop the load")
	}
}

func TestKustomizeRemoteResourceRefused(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "k/kustomization.yaml", "resources:\n- https://github.com/example/repo//deploy?ref=v1\n- app.yaml\n")
	writeFile(t, dir, "k/app.yaml", goodDeployment)
	writeFile(t, dir, "plain.yaml", goodDeployment)
	// Through a local base that names a remote one (deprecated bases field).
	writeFile(t, dir, "o/kustomization.yaml", "resources:\n- ../b\n")
	writeFile(t, dir, "b/kustomization.yaml", "bases:\n- github.com/example/repo/deploy?ref=v1\n")
	objs, err := LoadManifests(context.Background(), []string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := gapsText(objs)
	for _, k := range []string{"k", "o", "b"} {
		if !strings.Contains(g, `kustomization `+filepath.Join(dir, k)+` | render | `) {
			t.Errorf("no gap for %s:\n%s", k, g)
		}
	}
	if strings.Count(g, "remote resources are not fetched") != 3 {
		t.Errorf("gaps:\n%s", g)
	}
	if len(objs.Deployments) != 1 || objs.Inputs["Deployment/default/ok"] != filepath.Join(dir, "plain.yaml")+":1" {
		t.Errorf("inputs = %v", objs.Inputs)
	}
}

func TestHelmTemplateErrorIsAGap(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "c/Chart.yaml", "apiVersion: v2\nname: broken\nversion: 0.1.0\n")
	writeFile(t, dir, "c/templates/x.yaml", "{{ .Values.nope.deeper }}\n")
	writeFile(t, dir, "plain.yaml", goodDeployment)
	objs, err := LoadManifests(context.Background(), []string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g := gapsText(objs); !strings.Contains(g, "chart "+filepath.Join(dir, "c")+" (Helm) | render | render chart:") {
		t.Errorf("gaps:\n%s", g)
	}
}

func TestJSONAndLists(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "list.json", `{"apiVersion":"v1","kind":"List","items":[`+
		`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"n"},"spec":{"ports":[{"port":80}]}},`+
		`{"apiVersion":"apps/v1","kind":"DeploymentList","items":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"}}]},`+
		`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}}]}`)
	objs, err := LoadManifests(context.Background(), []string{p}, LoadOptions{Namespace: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs.Services) != 1 || len(objs.Deployments) != 1 || objs.Ignored["example.com/v1/Widget"] != 1 || len(objs.Gaps) != 0 {
		t.Errorf("objs = %+v", objs)
	}
	if objs.Inputs["Deployment/n/d"] != p+":1" {
		t.Errorf("inputs = %v", objs.Inputs)
	}
}

func TestHelmMissingDependencyIsAGap(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "c/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- {name: redis, version: 18.0.0, repository: https://charts.example}\n")
	writeFile(t, dir, "c/templates/x.yaml", goodDeployment)
	writeFile(t, dir, "plain.yaml", strings.Replace(goodDeployment, "name: ok", "name: plain", 1))
	objs, err := LoadManifests(context.Background(), []string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g := gapsText(objs); !strings.Contains(g, "missing in charts/ directory: redis") || len(objs.Deployments) != 1 {
		t.Errorf("gaps:\n%s", g)
	}
}

func TestIgnoredKindsAreLogged(t *testing.T) {
	p := writeFile(t, t.TempDir(), "cm.yaml", goodDeployment+"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
	var logs []string
	objs, err := LoadManifests(context.Background(), []string{p}, LoadOptions{Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	if objs.Ignored["v1/ConfigMap"] != 2 || len(logs) != 1 || logs[0] != "kubernetes objects read but not modelled: v1/ConfigMap ×2" {
		t.Errorf("ignored %v, logs %q", objs.Ignored, logs)
	}
}

func TestDocumentLimit(t *testing.T) {
	p := writeFile(t, t.TempDir(), "many.yaml", goodDeployment+strings.Repeat("---\n#\n", MaxDocuments+10))
	objs, err := LoadManifests(context.Background(), []string{p}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := gapsText(objs)
	if len(objs.Gaps) != 1 || !strings.HasPrefix(g, p+":1000") || !strings.HasSuffix(g, " | read documents | more than 50000 documents; the rest of the input was not read\n") {
		t.Errorf("gaps = %q", g)
	}
	if len(objs.Deployments) != 1 {
		t.Errorf("deployments = %d", len(objs.Deployments))
	}
}

// TestHelmArchive packages the demo chart as `helm package` does (a
// gzipped tar with the chart's directory at its root) and renders it.
func TestHelmArchive(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "onlineboutique-0.10.6.tgz")
	if err := tarChart(filepath.Join(demo, "helm-chart"), "onlineboutique", p); err != nil {
		t.Fatal(err)
	}
	inv := load(t, LoadOptions{Namespace: "shop"}, p)
	if got := names(inv, "Deployment"); len(got) != 12 {
		t.Errorf("deployments = %v", got)
	}
	if w := find(t, inv, "k8s:/shop/Deployment/frontend"); !strings.HasPrefix(w.Input, "chart "+p+" (Helm) onlineboutique/templates/frontend.yaml:") {
		t.Errorf("input = %q", w.Input)
	}
}

func tarChart(src, name, dst string) error {
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	err = filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if err := tw.WriteHeader(&tar.Header{Name: name + "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b))}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func TestDirectoryGivenThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "real/app.yaml", goodDeployment)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "real"), link); err != nil {
		t.Fatal(err)
	}
	objs, err := LoadManifests(context.Background(), []string{link}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if objs.Inputs["Deployment/default/ok"] != filepath.Join(link, "app.yaml")+":1" {
		t.Errorf("inputs = %v, gaps %v", objs.Inputs, objs.Gaps)
	}
}

// A YAML parser error gives the file's line, not the line within the
// document (ReadDocuments, the reader of sightline check): the gap at the
// document's start said "yaml: line 2" for an error on line 12.
func TestRawDocumentParseErrorGivesFileLine(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "mixed.yaml", goodDeployment+"---\n# a comment\nkind: Service\nmetadata: {name: [unclosed\n")
	gaps, err := ReadDocuments(context.Background(), []string{p}, LoadOptions{}, func(RawDocument) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || !strings.Contains(gaps[0].Reason, "yaml: line 12:") {
		t.Errorf("gaps %+v, want one naming yaml: line 12", gaps)
	}
}
