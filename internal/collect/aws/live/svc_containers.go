package live

import (
	"context"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// API limits of the ECS describe calls (ECS API reference).
const (
	ecsDescribeClustersMax  = 100
	ecsDescribeServicesMax  = 10
	ecsDescribeTasksMax     = 100
	ecsDescribeInstancesMax = 100
)

// collectECS writes list-clusters and describe-clusters, then per cluster
// (file id = cluster ARN) the services, tasks and container instances, both
// the list and the describe output, and one describe-task-definition per
// task definition ARN that a service, a deployment or a task names.
// A describe output merges the chunks the API limits force (10 services,
// 100 tasks per call) like pages: {"services":[…all…],"failures":[…]}.
func collectECS(ctx context.Context, u *unit, sem *limiter) {
	c := ecs.NewFromConfig(u.cfg)
	list, ok := fetch(ctx, u, sem, call{service: "ecs", op: "list-clusters"},
		func(ctx context.Context) (*ecs.ListClustersOutput, error) {
			p := ecs.NewListClustersPaginator(c, &ecs.ListClustersInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return
	}
	fetch(ctx, u, sem, call{service: "ecs", op: "describe-clusters"},
		func(ctx context.Context) (*ecs.DescribeClustersOutput, error) {
			return describeChunks(ctx, list.ClusterArns, ecsDescribeClustersMax, func(ids []string) (*ecs.DescribeClustersOutput, error) {
				return c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: ids})
			})
		})
	var mu sync.Mutex
	taskDefs := map[string]bool{}
	each(ctx, sem.spawner(), list.ClusterArns, func(cluster string) {
		refs := append(ecsServices(ctx, u, sem, c, cluster), ecsTasks(ctx, u, sem, c, cluster)...)
		mu.Lock()
		for _, td := range refs {
			if td != "" {
				taskDefs[td] = true
			}
		}
		mu.Unlock()
		ecsContainerInstances(ctx, u, sem, c, cluster)
	})
	var tds []string
	for td := range taskDefs {
		tds = append(tds, td)
	}
	sort.Strings(tds)
	each(ctx, sem.spawner(), tds, func(td string) {
		fetch(ctx, u, sem, call{"ecs", "describe-task-definition", td},
			func(ctx context.Context) (*ecs.DescribeTaskDefinitionOutput, error) {
				return c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(td)})
			})
	})
}

// describeChunks calls describe once per chunk of ids and merges the
// outputs; no ids give an empty output without a call (the CLI would
// otherwise describe the "default" cluster).
func describeChunks[O any](ctx context.Context, ids []string, n int, describe func([]string) (*O, error)) (*O, error) {
	var outs []*O
	for _, ch := range chunks(ids, n) {
		out, err := describe(ch)
		if err != nil {
			return nil, err
		}
		outs = append(outs, out)
	}
	if len(outs) == 0 {
		outs = append(outs, new(O))
	}
	return mergePages(outs), nil
}

// ecsServices returns the task definitions the services and their
// deployments run.
func ecsServices(ctx context.Context, u *unit, sem *limiter, c *ecs.Client, cluster string) []string {
	list, ok := fetch(ctx, u, sem, call{"ecs", "list-services", cluster},
		func(ctx context.Context) (*ecs.ListServicesOutput, error) {
			p := ecs.NewListServicesPaginator(c, &ecs.ListServicesInput{Cluster: aws.String(cluster)})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return nil
	}
	out, ok := fetch(ctx, u, sem, call{"ecs", "describe-services", cluster},
		func(ctx context.Context) (*ecs.DescribeServicesOutput, error) {
			return describeChunks(ctx, list.ServiceArns, ecsDescribeServicesMax, func(ids []string) (*ecs.DescribeServicesOutput, error) {
				return c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: ids})
			})
		})
	if !ok {
		return nil
	}
	var tds []string
	for _, s := range out.Services {
		tds = append(tds, aws.ToString(s.TaskDefinition))
		for _, d := range s.Deployments {
			tds = append(tds, aws.ToString(d.TaskDefinition))
		}
	}
	return tds
}

// ecsTasks returns the task definitions the tasks run.
func ecsTasks(ctx context.Context, u *unit, sem *limiter, c *ecs.Client, cluster string) []string {
	list, ok := fetch(ctx, u, sem, call{"ecs", "list-tasks", cluster},
		func(ctx context.Context) (*ecs.ListTasksOutput, error) {
			p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String(cluster)})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return nil
	}
	out, ok := fetch(ctx, u, sem, call{"ecs", "describe-tasks", cluster},
		func(ctx context.Context) (*ecs.DescribeTasksOutput, error) {
			return describeChunks(ctx, list.TaskArns, ecsDescribeTasksMax, func(ids []string) (*ecs.DescribeTasksOutput, error) {
				return c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: ids})
			})
		})
	if !ok {
		return nil
	}
	var tds []string
	for _, t := range out.Tasks {
		tds = append(tds, aws.ToString(t.TaskDefinitionArn))
	}
	return tds
}

func ecsContainerInstances(ctx context.Context, u *unit, sem *limiter, c *ecs.Client, cluster string) {
	list, ok := fetch(ctx, u, sem, call{"ecs", "list-container-instances", cluster},
		func(ctx context.Context) (*ecs.ListContainerInstancesOutput, error) {
			p := ecs.NewListContainerInstancesPaginator(c, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return
	}
	fetch(ctx, u, sem, call{"ecs", "describe-container-instances", cluster},
		func(ctx context.Context) (*ecs.DescribeContainerInstancesOutput, error) {
			return describeChunks(ctx, list.ContainerInstanceArns, ecsDescribeInstancesMax, func(ids []string) (*ecs.DescribeContainerInstancesOutput, error) {
				return c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: ids})
			})
		})
}

// collectEKS writes list-clusters, then per cluster name describe-cluster
// and list-nodegroups, and per node group describe-nodegroup with the file
// id "<cluster>/<nodegroup>".
func collectEKS(ctx context.Context, u *unit, sem *limiter) {
	c := eks.NewFromConfig(u.cfg)
	list, ok := fetch(ctx, u, sem, call{service: "eks", op: "list-clusters"},
		func(ctx context.Context) (*eks.ListClustersOutput, error) {
			p := eks.NewListClustersPaginator(c, &eks.ListClustersInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return
	}
	each(ctx, sem.spawner(), list.Clusters, func(name string) {
		fetch(ctx, u, sem, call{"eks", "describe-cluster", name},
			func(ctx context.Context) (*eks.DescribeClusterOutput, error) {
				return c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
			})
		ngs, ok := fetch(ctx, u, sem, call{"eks", "list-nodegroups", name},
			func(ctx context.Context) (*eks.ListNodegroupsOutput, error) {
				p := eks.NewListNodegroupsPaginator(c, &eks.ListNodegroupsInput{ClusterName: aws.String(name)})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
		if !ok {
			return
		}
		for _, ng := range ngs.Nodegroups {
			fetch(ctx, u, sem, call{"eks", "describe-nodegroup", name + "/" + ng},
				func(ctx context.Context) (*eks.DescribeNodegroupOutput, error) {
					return c.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(name), NodegroupName: aws.String(ng)})
				})
		}
	})
}

// collectECR writes describe-repositories and, per repository name,
// describe-images.
func collectECR(ctx context.Context, u *unit, sem *limiter) {
	c := ecr.NewFromConfig(u.cfg)
	repos, ok := fetch(ctx, u, sem, call{service: "ecr", op: "describe-repositories"},
		func(ctx context.Context) (*ecr.DescribeRepositoriesOutput, error) {
			p := ecr.NewDescribeRepositoriesPaginator(c, &ecr.DescribeRepositoriesInput{})
			return allPages(ctx, p.HasMorePages, p.NextPage)
		})
	if !ok {
		return
	}
	var names []string
	for _, r := range repos.Repositories {
		names = append(names, aws.ToString(r.RepositoryName))
	}
	each(ctx, sem.spawner(), names, func(name string) {
		fetch(ctx, u, sem, call{"ecr", "describe-images", name},
			func(ctx context.Context) (*ecr.DescribeImagesOutput, error) {
				p := ecr.NewDescribeImagesPaginator(c, &ecr.DescribeImagesInput{RepositoryName: aws.String(name)})
				return allPages(ctx, p.HasMorePages, p.NextPage)
			})
	})
}
