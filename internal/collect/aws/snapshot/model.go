package snapshot

// The types below mirror the AWS CLI's JSON output (the API shapes, in
// PascalCase for EC2/ELB and camelCase for ECS), holding only the fields
// Sightline reads. Unknown fields are ignored; timestamps stay strings
// because the CLI prints several ISO-8601 variants.

// Tag is an EC2/ELB tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// VPC is one ec2 describe-vpcs entry.
type VPC struct {
	VpcId                       string                           `json:"VpcId"`
	OwnerId                     string                           `json:"OwnerId"`
	CidrBlock                   string                           `json:"CidrBlock"`
	IsDefault                   bool                             `json:"IsDefault"`
	CidrBlockAssociationSet     []struct{ CidrBlock string }     `json:"CidrBlockAssociationSet"`
	Ipv6CidrBlockAssociationSet []struct{ Ipv6CidrBlock string } `json:"Ipv6CidrBlockAssociationSet"`
	Tags                        []Tag                            `json:"Tags"`
}

// Subnet is one ec2 describe-subnets entry.
type Subnet struct {
	SubnetId                    string                           `json:"SubnetId"`
	SubnetArn                   string                           `json:"SubnetArn"`
	VpcId                       string                           `json:"VpcId"`
	CidrBlock                   string                           `json:"CidrBlock"`
	AvailabilityZone            string                           `json:"AvailabilityZone"`
	MapPublicIpOnLaunch         bool                             `json:"MapPublicIpOnLaunch"`
	Ipv6CidrBlockAssociationSet []struct{ Ipv6CidrBlock string } `json:"Ipv6CidrBlockAssociationSet"`
	Tags                        []Tag                            `json:"Tags"`
}

// RouteTableAssociation links a table to a subnet, to the VPC (Main) or
// to a gateway (edge association, ingress routing).
type RouteTableAssociation struct {
	Main             bool   `json:"Main"`
	SubnetId         string `json:"SubnetId"`
	GatewayId        string `json:"GatewayId"`
	RouteTableId     string `json:"RouteTableId"`
	AssociationState *struct {
		State string `json:"State"`
	} `json:"AssociationState"`
}

// Route is one route of a route table.
type Route struct {
	DestinationCidrBlock        string `json:"DestinationCidrBlock"`
	DestinationIpv6CidrBlock    string `json:"DestinationIpv6CidrBlock"`
	DestinationPrefixListId     string `json:"DestinationPrefixListId"`
	GatewayId                   string `json:"GatewayId"`
	EgressOnlyInternetGatewayId string `json:"EgressOnlyInternetGatewayId"`
	NatGatewayId                string `json:"NatGatewayId"`
	TransitGatewayId            string `json:"TransitGatewayId"`
	VpcPeeringConnectionId      string `json:"VpcPeeringConnectionId"`
	NetworkInterfaceId          string `json:"NetworkInterfaceId"`
	InstanceId                  string `json:"InstanceId"`
	LocalGatewayId              string `json:"LocalGatewayId"`
	CarrierGatewayId            string `json:"CarrierGatewayId"`
	CoreNetworkArn              string `json:"CoreNetworkArn"`
	State                       string `json:"State"`
}

// RouteTable is one ec2 describe-route-tables entry.
type RouteTable struct {
	RouteTableId string                  `json:"RouteTableId"`
	VpcId        string                  `json:"VpcId"`
	Associations []RouteTableAssociation `json:"Associations"`
	Routes       []Route                 `json:"Routes"`
}

// GatewayAttachment attaches an internet or egress-only gateway to a VPC.
type GatewayAttachment struct {
	VpcId string `json:"VpcId"`
	State string `json:"State"`
}

// InternetGateway is one ec2 describe-internet-gateways entry.
type InternetGateway struct {
	InternetGatewayId string              `json:"InternetGatewayId"`
	Attachments       []GatewayAttachment `json:"Attachments"`
}

// EgressOnlyInternetGateway is one describe-egress-only-internet-gateways entry.
type EgressOnlyInternetGateway struct {
	EgressOnlyInternetGatewayId string              `json:"EgressOnlyInternetGatewayId"`
	Attachments                 []GatewayAttachment `json:"Attachments"`
}

// NatGateway is one describe-nat-gateways entry.
type NatGateway struct {
	NatGatewayId     string `json:"NatGatewayId"`
	VpcId            string `json:"VpcId"`
	SubnetId         string `json:"SubnetId"`
	State            string `json:"State"`
	ConnectivityType string `json:"ConnectivityType"`
}

// PortRange is a NACL entry's port range.
type PortRange struct {
	From *int `json:"From"`
	To   *int `json:"To"`
}

// NetworkAclEntry is one NACL rule.
type NetworkAclEntry struct {
	RuleNumber    int        `json:"RuleNumber"`
	Protocol      string     `json:"Protocol"`
	RuleAction    string     `json:"RuleAction"`
	Egress        bool       `json:"Egress"`
	CidrBlock     string     `json:"CidrBlock"`
	Ipv6CidrBlock string     `json:"Ipv6CidrBlock"`
	PortRange     *PortRange `json:"PortRange"`
}

// NetworkAcl is one describe-network-acls entry.
type NetworkAcl struct {
	NetworkAclId string `json:"NetworkAclId"`
	VpcId        string `json:"VpcId"`
	IsDefault    bool   `json:"IsDefault"`
	Associations []struct {
		SubnetId     string `json:"SubnetId"`
		NetworkAclId string `json:"NetworkAclId"`
	} `json:"Associations"`
	Entries []NetworkAclEntry `json:"Entries"`
}

// IpPermission is one security-group rule set (CLI shape).
type IpPermission struct {
	IpProtocol string `json:"IpProtocol"`
	FromPort   *int   `json:"FromPort"`
	ToPort     *int   `json:"ToPort"`
	IpRanges   []struct {
		CidrIp      string `json:"CidrIp"`
		Description string `json:"Description"`
	} `json:"IpRanges"`
	Ipv6Ranges []struct {
		CidrIpv6    string `json:"CidrIpv6"`
		Description string `json:"Description"`
	} `json:"Ipv6Ranges"`
	PrefixListIds []struct {
		PrefixListId string `json:"PrefixListId"`
	} `json:"PrefixListIds"`
	UserIdGroupPairs []struct {
		GroupId                string `json:"GroupId"`
		UserId                 string `json:"UserId"`
		VpcId                  string `json:"VpcId"`
		VpcPeeringConnectionId string `json:"VpcPeeringConnectionId"`
	} `json:"UserIdGroupPairs"`
}

// SecurityGroup is one describe-security-groups entry.
type SecurityGroup struct {
	GroupId             string         `json:"GroupId"`
	GroupName           string         `json:"GroupName"`
	VpcId               string         `json:"VpcId"`
	OwnerId             string         `json:"OwnerId"`
	IpPermissions       []IpPermission `json:"IpPermissions"`
	IpPermissionsEgress []IpPermission `json:"IpPermissionsEgress"`
}

// ManagedPrefixList is one describe-managed-prefix-lists entry.
type ManagedPrefixList struct {
	PrefixListId   string `json:"PrefixListId"`
	PrefixListName string `json:"PrefixListName"`
	AddressFamily  string `json:"AddressFamily"`
	OwnerId        string `json:"OwnerId"`
}

// PrefixListEntry is one get-managed-prefix-list-entries entry.
type PrefixListEntry struct {
	Cidr        string `json:"Cidr"`
	Description string `json:"Description"`
}

// IPAssociation is the public address mapped to a private one.
type IPAssociation struct {
	PublicIp     string `json:"PublicIp"`
	IpOwnerId    string `json:"IpOwnerId"`
	AllocationId string `json:"AllocationId"`
}

// PrivateIP is one private address of an interface.
type PrivateIP struct {
	PrivateIpAddress string         `json:"PrivateIpAddress"`
	Primary          bool           `json:"Primary"`
	Association      *IPAssociation `json:"Association"`
}

// GroupRef names a security group on an interface or instance.
type GroupRef struct {
	GroupId   string `json:"GroupId"`
	GroupName string `json:"GroupName"`
}

// NetworkInterface is one describe-network-interfaces entry; the interfaces
// nested in describe-instances share this shape.
type NetworkInterface struct {
	NetworkInterfaceId string         `json:"NetworkInterfaceId"`
	SubnetId           string         `json:"SubnetId"`
	VpcId              string         `json:"VpcId"`
	OwnerId            string         `json:"OwnerId"`
	Description        string         `json:"Description"`
	InterfaceType      string         `json:"InterfaceType"`
	RequesterManaged   bool           `json:"RequesterManaged"`
	RequesterId        string         `json:"RequesterId"`
	Status             string         `json:"Status"`
	PrivateIpAddress   string         `json:"PrivateIpAddress"`
	PrivateIpAddresses []PrivateIP    `json:"PrivateIpAddresses"`
	Association        *IPAssociation `json:"Association"`
	Ipv6Addresses      []struct {
		Ipv6Address string `json:"Ipv6Address"`
	} `json:"Ipv6Addresses"`
	Groups     []GroupRef `json:"Groups"`
	Attachment *struct {
		InstanceId  string `json:"InstanceId"`
		DeviceIndex int    `json:"DeviceIndex"`
		Status      string `json:"Status"`
	} `json:"Attachment"`
}

// Instance is one EC2 instance from describe-instances.
type Instance struct {
	InstanceId         string                `json:"InstanceId"`
	ImageId            string                `json:"ImageId"`
	InstanceType       string                `json:"InstanceType"`
	SubnetId           string                `json:"SubnetId"`
	VpcId              string                `json:"VpcId"`
	PrivateIpAddress   string                `json:"PrivateIpAddress"`
	PublicIpAddress    string                `json:"PublicIpAddress"`
	State              struct{ Name string } `json:"State"`
	SecurityGroups     []GroupRef            `json:"SecurityGroups"`
	NetworkInterfaces  []NetworkInterface    `json:"NetworkInterfaces"`
	IamInstanceProfile *struct {
		Arn string `json:"Arn"`
	} `json:"IamInstanceProfile"`
	// MetadataOptions decide whether containers on the instance can reach
	// IMDS, and so the instance profile's credentials (internal/identity).
	MetadataOptions *InstanceMetadataOptions `json:"MetadataOptions"`
	Tags            []Tag                    `json:"Tags"`
}

// InstanceMetadataOptions is an instance's MetadataOptions
// (EC2 API Reference, "InstanceMetadataOptionsResponse").
type InstanceMetadataOptions struct {
	// State "pending" means a change is not applied yet; "applied".
	State string `json:"State"`
	// HttpTokens "required" (IMDSv2 only) or "optional" (IMDSv1 too).
	HttpTokens string `json:"HttpTokens"`
	// HttpPutResponseHopLimit is the IP TTL of the IMDSv2 token response;
	// nil when absent from the output.
	HttpPutResponseHopLimit *int `json:"HttpPutResponseHopLimit"`
	// HttpEndpoint "enabled" or "disabled" (no IMDS at all).
	HttpEndpoint string `json:"HttpEndpoint"`
}

// Address is one Elastic IP from describe-addresses.
type Address struct {
	PublicIp           string `json:"PublicIp"`
	AllocationId       string `json:"AllocationId"`
	AssociationId      string `json:"AssociationId"`
	InstanceId         string `json:"InstanceId"`
	NetworkInterfaceId string `json:"NetworkInterfaceId"`
	PrivateIpAddress   string `json:"PrivateIpAddress"`
}

// PeeringVpcInfo is one side of a VPC peering connection.
type PeeringVpcInfo struct {
	VpcId     string `json:"VpcId"`
	OwnerId   string `json:"OwnerId"`
	CidrBlock string `json:"CidrBlock"`
	Region    string `json:"Region"`
}

// VpcPeeringConnection is one describe-vpc-peering-connections entry.
type VpcPeeringConnection struct {
	VpcPeeringConnectionId string                `json:"VpcPeeringConnectionId"`
	AccepterVpcInfo        PeeringVpcInfo        `json:"AccepterVpcInfo"`
	RequesterVpcInfo       PeeringVpcInfo        `json:"RequesterVpcInfo"`
	Status                 struct{ Code string } `json:"Status"`
}

// TransitGatewayAttachment is one describe-transit-gateway-attachments entry.
type TransitGatewayAttachment struct {
	TransitGatewayAttachmentId string `json:"TransitGatewayAttachmentId"`
	TransitGatewayId           string `json:"TransitGatewayId"`
	ResourceType               string `json:"ResourceType"`
	ResourceId                 string `json:"ResourceId"`
	State                      string `json:"State"`
}

// ClassicLoadBalancer is one elb describe-load-balancers entry.
type ClassicLoadBalancer struct {
	LoadBalancerName     string   `json:"LoadBalancerName"`
	DNSName              string   `json:"DNSName"`
	Scheme               string   `json:"Scheme"`
	VPCId                string   `json:"VPCId"`
	Subnets              []string `json:"Subnets"`
	SecurityGroups       []string `json:"SecurityGroups"`
	ListenerDescriptions []struct {
		Listener struct {
			Protocol         string `json:"Protocol"`
			LoadBalancerPort int    `json:"LoadBalancerPort"`
			InstanceProtocol string `json:"InstanceProtocol"`
			InstancePort     int    `json:"InstancePort"`
		} `json:"Listener"`
	} `json:"ListenerDescriptions"`
	Instances []struct {
		InstanceId string `json:"InstanceId"`
	} `json:"Instances"`
}

// LoadBalancer is one elbv2 describe-load-balancers entry.
type LoadBalancer struct {
	LoadBalancerArn   string                 `json:"LoadBalancerArn"`
	LoadBalancerName  string                 `json:"LoadBalancerName"`
	DNSName           string                 `json:"DNSName"`
	Scheme            string                 `json:"Scheme"`
	VpcId             string                 `json:"VpcId"`
	Type              string                 `json:"Type"`
	IpAddressType     string                 `json:"IpAddressType"`
	State             *struct{ Code string } `json:"State"`
	SecurityGroups    []string               `json:"SecurityGroups"`
	AvailabilityZones []AvailabilityZone     `json:"AvailabilityZones"`
}

// AvailabilityZone is one zone (subnet) a load balancer has a node in.
type AvailabilityZone struct {
	ZoneName              string                `json:"ZoneName"`
	SubnetId              string                `json:"SubnetId"`
	LoadBalancerAddresses []LoadBalancerAddress `json:"LoadBalancerAddresses"`
}

// LoadBalancerAddress is a node address (NLB Elastic IPs, private IPs).
type LoadBalancerAddress struct {
	IpAddress          string `json:"IpAddress"`
	PrivateIPv4Address string `json:"PrivateIPv4Address"`
	IPv6Address        string `json:"IPv6Address"`
}

// Action is an ELBv2 listener or rule action.
type Action struct {
	Type           string `json:"Type"`
	TargetGroupArn string `json:"TargetGroupArn"`
	Order          int    `json:"Order"`
	ForwardConfig  *struct {
		TargetGroups []struct {
			TargetGroupArn string `json:"TargetGroupArn"`
			Weight         *int   `json:"Weight"`
		} `json:"TargetGroups"`
	} `json:"ForwardConfig"`
}

// Listener is one elbv2 describe-listeners entry.
type Listener struct {
	ListenerArn     string   `json:"ListenerArn"`
	LoadBalancerArn string   `json:"LoadBalancerArn"`
	Port            int      `json:"Port"`
	Protocol        string   `json:"Protocol"`
	DefaultActions  []Action `json:"DefaultActions"`
}

// RuleCondition is one elbv2 rule condition.
type RuleCondition struct {
	Field          string   `json:"Field"`
	Values         []string `json:"Values"`
	SourceIpConfig *struct {
		Values []string `json:"Values"`
	} `json:"SourceIpConfig"`
}

// Rule is one elbv2 describe-rules entry.
type Rule struct {
	RuleArn    string          `json:"RuleArn"`
	Priority   string          `json:"Priority"`
	IsDefault  bool            `json:"IsDefault"`
	Conditions []RuleCondition `json:"Conditions"`
	Actions    []Action        `json:"Actions"`
}

// TargetGroup is one elbv2 describe-target-groups entry.
type TargetGroup struct {
	TargetGroupArn   string   `json:"TargetGroupArn"`
	TargetGroupName  string   `json:"TargetGroupName"`
	Protocol         string   `json:"Protocol"`
	Port             int      `json:"Port"`
	VpcId            string   `json:"VpcId"`
	TargetType       string   `json:"TargetType"`
	LoadBalancerArns []string `json:"LoadBalancerArns"`
}

// TargetHealthDescription is one registered target.
type TargetHealthDescription struct {
	Target struct {
		Id               string `json:"Id"`
		Port             int    `json:"Port"`
		AvailabilityZone string `json:"AvailabilityZone"`
	} `json:"Target"`
	TargetHealth struct {
		State  string `json:"State"`
		Reason string `json:"Reason"`
	} `json:"TargetHealth"`
}

// ECSCluster is one ecs describe-clusters entry.
type ECSCluster struct {
	ClusterArn  string `json:"clusterArn"`
	ClusterName string `json:"clusterName"`
	Status      string `json:"status"`
}

// AwsVpcConfiguration is an ECS service's awsvpc settings.
type AwsVpcConfiguration struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups"`
	AssignPublicIp string   `json:"assignPublicIp"`
}

// ECSService is one ecs describe-services entry.
type ECSService struct {
	ServiceArn     string `json:"serviceArn"`
	ServiceName    string `json:"serviceName"`
	ClusterArn     string `json:"clusterArn"`
	LaunchType     string `json:"launchType"`
	TaskDefinition string `json:"taskDefinition"`
	LoadBalancers  []struct {
		TargetGroupArn   string `json:"targetGroupArn"`
		LoadBalancerName string `json:"loadBalancerName"`
		ContainerName    string `json:"containerName"`
		ContainerPort    int    `json:"containerPort"`
	} `json:"loadBalancers"`
	NetworkConfiguration *struct {
		AwsvpcConfiguration *AwsVpcConfiguration `json:"awsvpcConfiguration"`
	} `json:"networkConfiguration"`
}

// NetworkBinding is a container port published on its host.
type NetworkBinding struct {
	BindIP        string `json:"bindIP"`
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort"`
	Protocol      string `json:"protocol"`
}

// ECSTask is one ecs describe-tasks entry.
type ECSTask struct {
	TaskArn              string `json:"taskArn"`
	ClusterArn           string `json:"clusterArn"`
	TaskDefinitionArn    string `json:"taskDefinitionArn"`
	ContainerInstanceArn string `json:"containerInstanceArn"`
	LastStatus           string `json:"lastStatus"`
	LaunchType           string `json:"launchType"`
	Group                string `json:"group"`
	Attachments          []struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Status  string `json:"status"`
		Details []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"details"`
	} `json:"attachments"`
	Containers []TaskContainer `json:"containers"`
}

// TaskContainer is one entry of an ECS task's containers: what runs, with
// the image digest the agent resolved (imageDigest) and the host ports it
// bound (networkBindings; dynamic host ports are only known here).
type TaskContainer struct {
	Name              string           `json:"name"`
	Image             string           `json:"image"`
	ImageDigest       string           `json:"imageDigest"`
	RuntimeId         string           `json:"runtimeId"`
	LastStatus        string           `json:"lastStatus"`
	NetworkBindings   []NetworkBinding `json:"networkBindings"`
	NetworkInterfaces []struct {
		PrivateIpv4Address string `json:"privateIpv4Address"`
		Ipv6Address        string `json:"ipv6Address"`
	} `json:"networkInterfaces"`
}

// TaskDefinition is the taskDefinition of ecs describe-task-definition.
type TaskDefinition struct {
	TaskDefinitionArn    string                `json:"taskDefinitionArn"`
	Family               string                `json:"family"`
	Revision             int                   `json:"revision"`
	NetworkMode          string                `json:"networkMode"`
	TaskRoleArn          string                `json:"taskRoleArn"`
	ExecutionRoleArn     string                `json:"executionRoleArn"`
	ContainerDefinitions []ContainerDefinition `json:"containerDefinitions"`
	Volumes              []TaskVolume          `json:"volumes"`
}

// ContainerDefinition is one containerDefinitions entry of a task
// definition (ECS API Reference, "ContainerDefinition").
type ContainerDefinition struct {
	Name         string `json:"name"`
	Image        string `json:"image"`
	Essential    *bool  `json:"essential"`
	PortMappings []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
		HostPort      int    `json:"hostPort"`
		Protocol      string `json:"protocol"`
	} `json:"portMappings"`
	Privileged             bool   `json:"privileged"`
	User                   string `json:"user"`
	ReadonlyRootFilesystem bool   `json:"readonlyRootFilesystem"`
	LinuxParameters        *struct {
		Capabilities *struct {
			Add  []string `json:"add"`
			Drop []string `json:"drop"`
		} `json:"capabilities"`
	} `json:"linuxParameters"`
	MountPoints []struct {
		SourceVolume  string `json:"sourceVolume"`
		ContainerPath string `json:"containerPath"`
		ReadOnly      bool   `json:"readOnly"`
	} `json:"mountPoints"`
}

// TaskVolume is one volumes entry of a task definition; Host.SourcePath
// set means a bind mount of a path on the container instance.
type TaskVolume struct {
	Name string `json:"name"`
	Host *struct {
		SourcePath string `json:"sourcePath"`
	} `json:"host"`
}

// ContainerInstance is one ecs describe-container-instances entry.
type ContainerInstance struct {
	ContainerInstanceArn string `json:"containerInstanceArn"`
	Ec2InstanceId        string `json:"ec2InstanceId"`
	Status               string `json:"status"`
}

// GraphOnly holds resources read only as graph nodes (no exposure model).
type GraphOnly struct {
	Kind string
	ID   string
	Name string
	// Attrs are a few flat attributes useful to later stages.
	Attrs map[string]string
}
