package live

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// The shop fixture: what a small EKS cluster with Calico holds.
const (
	roleARN    = "arn:aws:iam::123456789012:role/shop-frontend"
	providerID = "aws:///eu-west-1a/i-0abc1234567890def"
	imageID    = "docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"
	podIP      = "10.0.1.23"
	lbHost     = "a1b2c3d4e5-1234567890.eu-west-1.elb.amazonaws.com"
)

var (
	seedOnce sync.Once
	seedErr  error
)

// shop creates the fixture once per test binary (tests share the server).
func shop(t *testing.T) {
	t.Helper()
	seedOnce.Do(func() {
		cs, err := kubernetes.NewForConfig(srv.Config)
		if err != nil {
			seedErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		seedErr = seedShop(ctx, cs)
	})
	if seedErr != nil {
		t.Fatalf("seeding the shop fixture: %v", seedErr)
	}
}

func seedShop(ctx context.Context, cs kubernetes.Interface) error {
	c := metav1.CreateOptions{}
	u := metav1.UpdateOptions{}
	must := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	labels := map[string]string{"app": "frontend"}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"team": "web"}}}, c); err != nil {
		return must("namespace", err)
	}
	if _, err := cs.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name: "frontend", Namespace: "shop", Annotations: map[string]string{"eks.amazonaws.com/role-arn": roleARN}}}, c); err != nil {
		return must("serviceaccount", err)
	}

	node, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "ip-10-0-1-10.eu-west-1.compute.internal"},
		Spec:       corev1.NodeSpec{ProviderID: providerID},
	}, c)
	if err != nil {
		return must("node", err)
	}
	node.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: "10.0.1.10"},
		{Type: corev1.NodeExternalIP, Address: "54.170.1.10"},
		{Type: corev1.NodeHostName, Address: node.Name},
	}
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, u); err != nil {
		return must("node status", err)
	}

	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			ServiceAccountName: "frontend",
			Containers: []corev1.Container{{
				Name: "server", Image: "nginx:1.27",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			}},
		},
	}
	dep, err := cs.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "frontend", Namespace: "shop"},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
	}, c)
	if err != nil {
		return must("deployment", err)
	}
	// No controller-manager runs: create the ReplicaSet and Pod the
	// Deployment controller would, with the same ownerReferences.
	rs, err := cs.AppsV1().ReplicaSets("shop").Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "frontend-5d8f7c9b6", Namespace: "shop", Labels: labels,
			OwnerReferences: []metav1.OwnerReference{owner("apps/v1", "Deployment", dep.Name, dep.UID)}},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
	}, c)
	if err != nil {
		return must("replicaset", err)
	}
	pod, err := cs.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "frontend-5d8f7c9b6-x2x7q", Namespace: "shop", Labels: labels,
			OwnerReferences: []metav1.OwnerReference{owner("apps/v1", "ReplicaSet", rs.Name, rs.UID)}},
		Spec: func() corev1.PodSpec { s := *tmpl.Spec.DeepCopy(); s.NodeName = node.Name; return s }(),
	}, c)
	if err != nil {
		return must("pod", err)
	}
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: podIP, PodIPs: []corev1.PodIP{{IP: podIP}}, HostIP: "10.0.1.10",
		ContainerStatuses: []corev1.ContainerStatus{{Name: "server", Image: "docker.io/library/nginx:1.27", ImageID: imageID, Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}},
	}
	if _, err := cs.CoreV1().Pods("shop").UpdateStatus(ctx, pod, u); err != nil {
		return must("pod status", err)
	}
	if _, err := cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: "default"},
		Spec:       corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "sh", Image: "busybox:1.36"}}},
	}, c); err != nil {
		return must("default pod", err)
	}

	if _, err := cs.AppsV1().StatefulSets("shop").Create(ctx, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "shop"},
		Spec: appsv1.StatefulSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "cache"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "cache"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "redis", Image: "redis:7"}}}}},
	}, c); err != nil {
		return must("statefulset", err)
	}
	jobSpec := batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
		Containers: []corev1.Container{{Name: "migrate", Image: "shop/migrate:1"}}}}}
	if _, err := cs.BatchV1().Jobs("shop").Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: "shop"}, Spec: jobSpec}, c); err != nil {
		return must("job", err)
	}
	if _, err := cs.BatchV1().CronJobs("shop").Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "report", Namespace: "shop"},
		Spec: batchv1.CronJobSpec{Schedule: "0 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: jobSpec}}}, c); err != nil {
		return must("cronjob", err)
	}
	if _, err := cs.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "calico-node", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "calico-node"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"k8s-app": "calico-node"}},
				Spec: corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "calico-node", Image: "docker.io/calico/node:v3.29.1"}}}}},
	}, c); err != nil {
		return must("daemonset", err)
	}

	http := intstr.FromString("http")
	svcPorts := []corev1.ServicePort{{Name: "web", Port: 80, TargetPort: http, Protocol: corev1.ProtocolTCP}}
	for _, s := range []*corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "frontend", Namespace: "shop"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: labels, Ports: svcPorts}},
		{ObjectMeta: metav1.ObjectMeta{Name: "frontend-np", Namespace: "shop"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: labels,
				Ports: []corev1.ServicePort{{Name: "web", Port: 80, TargetPort: http, NodePort: 30080, Protocol: corev1.ProtocolTCP}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "frontend-lb", Namespace: "shop"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: labels, Ports: svcPorts,
				LoadBalancerSourceRanges: []string{"203.0.113.0/24"}, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal}},
	} {
		got, err := cs.CoreV1().Services("shop").Create(ctx, s, c)
		if err != nil {
			return must("service "+s.Name, err)
		}
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
			got.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: lbHost}}
			if _, err := cs.CoreV1().Services("shop").UpdateStatus(ctx, got, u); err != nil {
				return must("service status", err)
			}
		}
	}
	prefix := networkingv1.PathTypePrefix
	if _, err := cs.NetworkingV1().Ingresses("shop").Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &prefix,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "frontend", Port: networkingv1.ServiceBackendPort{Number: 80}}},
			}}}}}}},
	}, c); err != nil {
		return must("ingress", err)
	}
	tcp := corev1.ProtocolTCP
	p8080, pHTTP := intstr.FromInt32(8080), intstr.FromString("http")
	for _, np := range []*networkingv1.NetworkPolicy{
		{ObjectMeta: metav1.ObjectMeta{Name: "default-deny", Namespace: "shop"},
			Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "allow-frontend", Namespace: "shop"},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: labels},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.0.0.0/8"}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p8080, EndPort: ptr(int32(8090))}, {Protocol: &tcp, Port: &pHTTP}},
				}},
			}},
	} {
		if _, err := cs.NetworkingV1().NetworkPolicies("shop").Create(ctx, np, c); err != nil {
			return must("networkpolicy "+np.Name, err)
		}
	}
	return nil
}

func owner(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: ptr(true)}
}

func ptr[T any](v T) *T { return &v }
