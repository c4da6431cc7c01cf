package ecs

import (
	"encoding/json"
	"testing"

	"github.com/sightline-sec/sightline/internal/collect/aws/snapshot"
	"github.com/sightline-sec/sightline/internal/exposure"
	"github.com/sightline-sec/sightline/internal/workload"
)

// FuzzTasks decodes arbitrary describe-tasks and describe-task-definition
// outputs (the reader's own decoding is fuzzed in internal/collect/aws/
// snapshot) and checks that building the workloads and joining their
// ports never panics, and that every workload has an ID and non-nil
// containers and ports.
func FuzzTasks(f *testing.F) {
	f.Add([]byte(`{"tasks":[{"taskArn":"arn:aws:ecs:eu-west-1:1:task/prod/t1","taskDefinitionArn":"td","containerInstanceArn":"ci","group":"service:web",
		"containers":[{"name":"web","imageDigest":"sha256:ab","networkBindings":[{"bindIP":"127.0.0.1","containerPort":80,"hostPort":32768,"protocol":"tcp"}]}]}]}`),
		[]byte(`{"taskDefinition":{"taskDefinitionArn":"td","networkMode":"bridge","volumes":[{"name":"v","host":{"sourcePath":"/var/run/docker.sock"}}],
		"containerDefinitions":[{"name":"web","privileged":true,"portMappings":[{"containerPort":80,"hostPort":0}],"mountPoints":[{"sourceVolume":"v"}],
		"linuxParameters":{"capabilities":{"add":["ALL"]}}}]}}`))
	f.Fuzz(func(t *testing.T, tasks, td []byte) {
		var tv struct {
			Tasks []snapshot.ECSTask `json:"tasks"`
		}
		var dv struct {
			TaskDefinition snapshot.TaskDefinition `json:"taskDefinition"`
		}
		if json.Unmarshal(tasks, &tv) != nil || json.Unmarshal(td, &dv) != nil {
			return
		}
		reg := snapshot.NewRegion("111122223333", "eu-west-1")
		reg.ECSTasks = tv.Tasks
		reg.TaskDefinitions[dv.TaskDefinition.TaskDefinitionArn] = dv.TaskDefinition
		reg.ContainerInstances = []snapshot.ContainerInstance{{ContainerInstanceArn: "ci", Ec2InstanceId: "i-1"}}
		b := newBuilder("/snap", reg)
		inv := &workload.Inventory{Gaps: []workload.Gap{}}
		for i := range reg.ECSTasks {
			inv.Workloads = append(inv.Workloads, b.task(inv, &reg.ECSTasks[i]))
		}
		exposure.Containers(inv, exposure.NewCloudIndex(nil, nil))
		for _, w := range inv.Workloads {
			if w.ID == "" || w.Containers == nil {
				t.Fatalf("workload %+v", w)
			}
			for _, c := range w.Containers {
				if c.Ports == nil || c.Exposure == nil {
					t.Fatalf("container %+v", c)
				}
			}
		}
	})
}
