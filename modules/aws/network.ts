/** The honeynet's network: a VPC with one public subnet in each of two availability zones. */
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcDhcpOptions } from "@cdktf/provider-aws/lib/vpc-dhcp-options";
import { VpcDhcpOptionsAssociation } from "@cdktf/provider-aws/lib/vpc-dhcp-options-association";
import { resourceName } from "../core/naming";

export interface PublicNetworkProps {
  readonly prefix: string;
  readonly cidr: string;
  /**
   * Extra DNS search domain handed to every task: T-Pot containers reach peers by short compose names
   * (`tanner`, `elasticsearch`), which resolve when the Cloud Map namespace is a search domain.
   */
  readonly searchDomain: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Public subnets only: every task has a public IP (honeypots need one; the Elastic services use it only
 * to pull images, their security groups admit nothing from the internet). No NAT gateway to pay for.
 */
export class PublicNetwork extends Construct {
  readonly vpc: Vpc;
  readonly subnets: readonly Subnet[];
  /** The route table, its default route and the subnets' associations: a task that starts before them cannot pull its image. */
  readonly internetRoute: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: PublicNetworkProps) {
    super(scope, id);
    const tags = (name: string) => ({ ...props.tags, Name: name });
    const name = resourceName(props.prefix, ["honeynet"]);
    this.vpc = new Vpc(this, "Vpc", { cidrBlock: props.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags(name) });
    // Adopted with no rules: Terraform then removes AWS's allow-all rules, so nothing launched into this
    // VPC without a group of its own can reach anything (policy rule default-security-group-closed).
    new DefaultSecurityGroup(this, "DefaultSecurityGroup", { vpcId: this.vpc.id, tags: tags(`${name}-default-closed`) });
    const azs = new DataAwsAvailabilityZones(this, "Zones", { state: "available" });
    const igw = new InternetGateway(this, "InternetGateway", { vpcId: this.vpc.id, tags: tags(name) });
    const table = new RouteTable(this, "RouteTable", { vpcId: this.vpc.id, tags: tags(`${name}-public`) });
    const route = new Route(this, "DefaultRoute", { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });
    const associations: RouteTableAssociation[] = [];
    this.subnets = [0, 1].map((i) => {
      const subnet = new Subnet(this, `Subnet${i}`, {
        vpcId: this.vpc.id,
        cidrBlock: Fn.cidrsubnet(props.cidr, 4, i),
        availabilityZone: Fn.element(azs.names, i),
        mapPublicIpOnLaunch: false,
        tags: tags(`${name}-public-${i}`),
      });
      associations.push(new RouteTableAssociation(this, `RouteTableAssociation${i}`, { subnetId: subnet.id, routeTableId: table.id }));
      return subnet;
    });
    this.internetRoute = [table, route, ...associations];
    // One domain only: several space-separated names are not portable across resolvers.
    const dhcp = new VpcDhcpOptions(this, "DhcpOptions", {
      domainName: props.searchDomain,
      domainNameServers: ["AmazonProvidedDNS"],
      tags: tags(name),
    });
    new VpcDhcpOptionsAssociation(this, "DhcpOptionsAssociation", { vpcId: this.vpc.id, dhcpOptionsId: dhcp.id });
  }
}
