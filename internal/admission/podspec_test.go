package admission

import (
	"slices"
	"testing"
)

func TestPodImagesOfEveryKind(t *testing.T) {
	// The microservices-demo loadgenerator has an init container pinned
	// by digest and a container by tag.
	imgs, err := podImages("Deployment", manifest(t, "Deployment", "loadgenerator"))
	want := []image{
		{"busybox:1.38.0@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d", "spec.template.spec.initContainers[0].image"},
		{"us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/loadgenerator:v0.10.6", "spec.template.spec.containers[0].image"},
	}
	if err != nil || !slices.Equal(imgs, want) {
		t.Errorf("loadgenerator: %v %v", imgs, err)
	}
	// Hand-written minimal objects of the other shapes.
	for kind, c := range map[string]struct {
		raw  string
		want []image
	}{
		"Pod":                   {`{"spec":{"containers":[{"image":"a"}],"ephemeralContainers":[{"image":"b"}]}}`, []image{{"a", "spec.containers[0].image"}, {"b", "spec.ephemeralContainers[0].image"}}},
		"CronJob":               {`{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"image":"c"}]}}}}}}`, []image{{"c", "spec.jobTemplate.spec.template.spec.containers[0].image"}}},
		"Job":                   {`{"spec":{"template":{"spec":{"containers":[{"image":"d"}]}}}}`, []image{{"d", "spec.template.spec.containers[0].image"}}},
		"ReplicationController": {`{"spec":{}}`, nil},
	} {
		got, err := podImages(kind, []byte(c.raw))
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v %v, want %v", kind, got, err, c.want)
		}
	}
	if _, err := podImages("ConfigMap", []byte(`{}`)); err == nil {
		t.Error("ConfigMap: no error")
	}
	if _, err := podImages("Pod", []byte(`{"spec":{"containers":"x"}}`)); err == nil {
		t.Error("malformed Pod: no error")
	}
}
