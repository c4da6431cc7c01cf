package scan

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sightline-sec/sightline/internal/inventory"
)

func TestMarkBase(t *testing.T) {
	layer := func(by string) v1.History { return v1.History{CreatedBy: by} }
	empty := func(by string) v1.History { return v1.History{CreatedBy: by, EmptyLayer: true} }
	for _, tc := range []struct {
		name string
		hist []v1.History
		want string // per layer: b base, a added, ? unknown
	}{
		{"buildkit app on debian", []v1.History{
			layer("# debian.sh --arch 'amd64' out/ 'bookworm' '@1731369600'"), empty(`CMD ["bash"]`),
			layer("RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit"),
			layer("COPY app /app # buildkit"), empty(`ENTRYPOINT ["/app"]`)}, "baa"},
		{"classic builder", []v1.History{
			layer("/bin/sh -c #(nop) ADD file:5a6d066ba71fb0a47 in / "), empty(`/bin/sh -c #(nop)  CMD ["/bin/sh"]`),
			layer("/bin/sh -c apk add --no-cache nginx"), empty(`/bin/sh -c #(nop)  CMD ["nginx"]`)}, "ba"},
		// A base image with its own base: the last CMD before the
		// image's own layers ends the (whole) base.
		{"base of a base", []v1.History{
			layer("debian"), empty(`CMD ["bash"]`), layer("RUN apt-get install python3"), empty(`CMD ["python3"]`),
			layer("COPY . /srv")}, "bba"},
		{"no CMD in history", []v1.History{layer("a"), layer("b")}, "??"},
		{"nothing added after the base", []v1.History{layer("debian"), empty(`CMD ["bash"]`)}, "?"},
		{"history short of the layers", []v1.History{empty(`CMD ["bash"]`), layer("b")}, "??"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refs := make([]inventory.LayerRef, len(tc.want))
			markBase(refs, tc.hist)
			got := ""
			for _, r := range refs {
				switch {
				case r.Base == nil:
					got += "?"
				case *r.Base:
					got += "b"
				default:
					got += "a"
				}
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
