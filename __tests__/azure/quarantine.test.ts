/**
 * `azure-quarantine`: the gateway and its NSG, the two services and their isolation, the flow log and
 * its path to the detector, the state store, the functions' identity and exactly what it may touch,
 * and what Terraform leaves to the functions (`ignore_changes`).
 */
import { Testing } from "cdktf";
import { AZURE_QUARANTINE_ENV, FLOW_LOG_CONTAINER, FLOW_QUEUE_CONNECTION } from "../../functions/azure/quarantine/contract";
import { REWRITE_RULES_PER_SET } from "../../functions/azure/quarantine/gateway-steering";
import { ConfigError } from "../../modules/core/config";
import { checkStack } from "../../modules/core/policy";
import { quarantineCopiesIsolated } from "../../modules/core/policy/rules/quarantine-copies-isolated";
import { COPIES_PATH, GATEWAY_MANAGER_PORTS, GATEWAY_NAMES, MODE_SCHEDULE, REWRITE_PATH, TABLE_NAME } from "../../modules/azure/quarantine";
import { AzureQuarantineStack } from "../../modules/azure/stacks";
import { rmSync, readFileSync } from "fs";
import { HOST_JSON } from "../../functions/azure/quarantine/host";
import { azureQuarantinePackage } from "../../modules/core/bundle";
import { FAKE_FUNCTIONS_CORE, loadPackage, unpackPackage, unzip, type Loaded } from "../helpers/function-package";
import { configWith, deref, ref, resources, type Json } from "../helpers/synth";

function synth(change: (c: Json) => void = () => {}): Json {
  const config = configWith(change);
  return JSON.parse(Testing.synth(new AzureQuarantineStack(Testing.app(), "azure-quarantine", config, config.clouds.azure!))) as Json;
}

let out: Json;
beforeAll(() => {
  out = synth();
});

/** The one resource of `type` whose construct id is `id`. */
function one(stack: Json, type: string, id: string): [string, Json] {
  const found = resources(stack, type).filter(([a]) => new RegExp(`\\.Quarantine_${id}_[0-9A-F]{8}$`).test(a));
  expect({ type, id, found: found.length }).toEqual({ type, id, found: 1 });
  return found[0];
}
const body = (type: string, id: string) => one(out, type, id)[1];
const address = (type: string, id: string) => one(out, type, id)[0];
const settings = () => body("azurerm_linux_function_app", "App").app_settings as Record<string, string>;

describe("gateway", () => {
  test("Standard_v2 on a static Standard public IP, in its own subnet", () => {
    const gw = body("azurerm_application_gateway", "Gateway");
    expect(gw.sku).toEqual({ name: "Standard_v2", tier: "Standard_v2" });
    expect(body("azurerm_public_ip", "PublicIp")).toMatchObject({ allocation_method: "Static", sku: "Standard" });
    expect(gw.frontend_ip_configuration).toEqual([{ name: GATEWAY_NAMES.frontendIp, public_ip_address_id: ref(address("azurerm_public_ip", "PublicIp")) }]);
    expect(gw.gateway_ip_configuration).toEqual([{ name: GATEWAY_NAMES.gatewayIp, subnet_id: ref(address("azurerm_subnet", "GatewaySubnet")) }]);
    expect(out.output.quarantine_endpoint.value).toBe(ref(address("azurerm_public_ip", "PublicIp"), "ip_address"));
  });

  test("one HTTP listener on 80, a path-based rule, two pools on the environments' static IPs", () => {
    const gw = body("azurerm_application_gateway", "Gateway");
    expect(gw.frontend_port).toEqual([{ name: "http", port: 80 }]);
    expect(gw.http_listener).toEqual([{ name: "http", protocol: "Http", frontend_ip_configuration_name: "public", frontend_port_name: "http" }]);
    expect(gw.request_routing_rule).toEqual([{ name: "steering", rule_type: "PathBasedRouting", http_listener_name: "http", url_path_map_name: "steering", priority: 100 }]);
    expect(gw.backend_address_pool).toEqual([
      { name: "real", ip_addresses: [ref(address("azurerm_container_app_environment", "RealEnvironment"), "static_ip_address")] },
      { name: "copies", ip_addresses: [ref(address("azurerm_container_app_environment", "CopiesEnvironment"), "static_ip_address")] },
    ]);
    // Container Apps route by host name: each pool is reached with its app's FQDN.
    const hosts = Object.fromEntries((gw.backend_http_settings as Json[]).map((s) => [s.name, [s.host_name, s.path]]));
    expect(hosts).toEqual({
      real: [ref(address("azurerm_container_app", "RealApp"), "ingress[0].fqdn"), undefined],
      copies: [ref(address("azurerm_container_app", "CopiesApp"), "ingress[0].fqdn"), "/"],
    });
  });

  test("the rewrite set is the path map's default, made empty, and ignored by Terraform; the copies' path rule routes the rewrite", () => {
    const gw = body("azurerm_application_gateway", "Gateway");
    expect(gw.rewrite_rule_set).toEqual([{ name: GATEWAY_NAMES.rewriteRuleSet }]);
    expect(gw.url_path_map).toEqual([
      {
        name: "steering",
        default_backend_address_pool_name: "real",
        default_backend_http_settings_name: "real",
        default_rewrite_rule_set_name: GATEWAY_NAMES.rewriteRuleSet,
        path_rule: [{ name: "copies", paths: [`${COPIES_PATH}/*`], backend_address_pool_name: "copies", backend_http_settings_name: "copies" }],
      },
    ]);
    expect(gw.lifecycle).toEqual({ ignore_changes: ["rewrite_rule_set"] });
    expect(REWRITE_PATH.startsWith(`${COPIES_PATH}{`)).toBe(true);
  });
});

describe("network", () => {
  const rulesOf = (nsgId: string) =>
    resources(out, "azurerm_network_security_rule")
      .filter(([, r]) => r.network_security_group_name === ref(address("azurerm_network_security_group", nsgId), "name"))
      .map(([, r]) => [r.direction, r.access, r.priority, r.protocol, r.source_address_prefix, r.destination_address_prefix, r.destination_port_range])
      // Synthesized in name order: compare in the order the NSG evaluates them.
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[2]) - Number(b[2]));

  test("demo.networkCidr is split in eighths: gateway, real, copies; the services' subnets are delegated to Container Apps", () => {
    expect(body("azurerm_virtual_network", "Network").address_space).toEqual(["10.43.0.0/16"]);
    expect(body("azurerm_subnet", "GatewaySubnet").address_prefixes).toEqual(["10.43.0.0/19"]);
    expect(body("azurerm_subnet", "RealSubnet").address_prefixes).toEqual(["10.43.32.0/19"]);
    expect(body("azurerm_subnet", "CopiesSubnet").address_prefixes).toEqual(["10.43.64.0/19"]);
    expect(body("azurerm_subnet", "GatewaySubnet").delegation).toBeUndefined();
    for (const id of ["RealSubnet", "CopiesSubnet"]) expect(body("azurerm_subnet", id).delegation[0].service_delegation.name).toBe("Microsoft.App/environments");
  });

  test("the gateway subnet's NSG admits only the listener (and Azure's management ports) and denies the rest", () => {
    expect(rulesOf("GatewaySecurityGroup")).toEqual([
      ["Inbound", "Allow", 100, "Tcp", "Internet", "*", "80"],
      ["Inbound", "Allow", 110, "Tcp", "GatewayManager", "*", GATEWAY_MANAGER_PORTS],
      ["Inbound", "Allow", 120, "*", "AzureLoadBalancer", "*", "*"],
      ["Inbound", "Deny", 4096, "*", "*", "*", "*"],
    ]);
    const allowsFromInternet = rulesOf("GatewaySecurityGroup").filter((r) => r[1] === "Allow" && (r[4] === "Internet" || r[4] === "*"));
    expect(allowsFromInternet.map((r) => r[6])).toEqual(["80"]);
  });

  test("real and copies deny each other both ways, before admitting the gateway's subnet", () => {
    expect(rulesOf("RealSecurityGroup")).toEqual([
      ["Inbound", "Deny", 100, "*", "10.43.64.0/19", "*", "*"],
      ["Inbound", "Allow", 200, "Tcp", "10.43.0.0/19", "*", "*"],
      ["Outbound", "Deny", 100, "*", "*", "10.43.64.0/19", "*"],
    ]);
    expect(rulesOf("CopiesSecurityGroup")).toEqual([
      ["Inbound", "Deny", 100, "*", "10.43.32.0/19", "*", "*"],
      ["Inbound", "Allow", 200, "Tcp", "10.43.0.0/19", "*", "*"],
      ["Outbound", "Deny", 100, "*", "*", "10.43.32.0/19", "*"],
    ]);
    const associations = resources(out, "azurerm_subnet_network_security_group_association").map(([, a]) => [a.subnet_id, a.network_security_group_id]);
    expect(associations).toHaveLength(3);
    for (const k of ["Gateway", "Real", "Copies"]) {
      expect(associations).toContainEqual([ref(address("azurerm_subnet", `${k}Subnet`)), ref(address("azurerm_network_security_group", `${k}SecurityGroup`))]);
    }
  });
});

describe("services", () => {
  test("each in its own internal environment and subnet, tagged real or copies", () => {
    for (const part of ["Real", "Copies"]) {
      const env = body("azurerm_container_app_environment", `${part}Environment`);
      expect(env.internal_load_balancer_enabled).toBe(true);
      expect(env.infrastructure_subnet_id).toBe(ref(address("azurerm_subnet", `${part}Subnet`)));
      expect(env.tags["lure:quarantine"]).toBe(part.toLowerCase());
      const app = body("azurerm_container_app", `${part}App`);
      expect(app.container_app_environment_id).toBe(ref(address("azurerm_container_app_environment", `${part}Environment`)));
      expect(app.tags["lure:quarantine"]).toBe(part.toLowerCase());
      // No identity, secret or registry credential: nothing to steal from a copy, nor from the demo.
      expect([app.identity, app.secret, app.registry]).toEqual([undefined, undefined, undefined]);
    }
  });

  test("the copies start at normalCount (0) replicas and Terraform ignores their counts; the real service does not", () => {
    const copies = body("azurerm_container_app", "CopiesApp");
    expect(copies.template).toMatchObject({ min_replicas: 0, max_replicas: 1 });
    expect(copies.lifecycle).toEqual({ ignore_changes: ["template[0].min_replicas", "template[0].max_replicas"] });
    expect(body("azurerm_container_app", "RealApp").lifecycle).toBeUndefined();
    expect(body("azurerm_container_app", "RealApp").template.min_replicas).toBe(1);
  });

  test("the copies run the decoy image when one is given, the demo's otherwise", () => {
    expect(body("azurerm_container_app", "CopiesApp").template.container[0].image).toBe("public.ecr.aws/nginx/nginx:1.27.5-alpine");
    const decoy = synth((c) => (c.quarantine = { ...c.quarantine, copies: { kind: "ecs", image: "ghcr.io/example/decoy:1", containerPort: 8080, normalCount: 1, defenceCount: 3 } }));
    const app = one(decoy, "azurerm_container_app", "CopiesApp")[1];
    expect(app.template.container[0].image).toBe("ghcr.io/example/decoy:1");
    expect(app.ingress.target_port).toBe(8080);
    expect(app.template).toMatchObject({ min_replicas: 1, max_replicas: 1 });
    const runtime = JSON.parse(one(decoy, "azurerm_linux_function_app", "App")[1].app_settings[AZURE_QUARANTINE_ENV.config]);
    expect(runtime.copies).toEqual({ defenceCount: 3, normalCount: 1 });
  });
});

describe("signals", () => {
  test("a VNet flow log on the VNet, into a dedicated account, retention from logRetentionDays", () => {
    const log = body("azurerm_network_watcher_flow_log", "FlowLog");
    expect(log).toMatchObject({
      target_resource_id: ref(address("azurerm_virtual_network", "Network")),
      storage_account_id: ref(address("azurerm_storage_account", "FlowLogStorage")),
      network_watcher_name: "NetworkWatcher_uksouth",
      resource_group_name: "NetworkWatcherRG",
      enabled: true,
      version: 2,
      retention_policy: { enabled: true, days: 7 },
    });
    expect(log.network_security_group_id).toBeUndefined();
    // Nothing else lives in the flow-log account: the flow log overwrites its lifecycle rules.
    const flowAccount = ref(address("azurerm_storage_account", "FlowLogStorage"));
    const inFlowAccount = ["azurerm_storage_container", "azurerm_storage_queue", "azurerm_storage_table", "azurerm_storage_management_policy"].flatMap((t) =>
      resources(out, t).filter(([, r]) => r.storage_account_id === flowAccount || r.storage_account_name === ref(address("azurerm_storage_account", "FlowLogStorage"), "name")),
    );
    expect(inFlowAccount.map(([, r]) => r.name)).toEqual([FLOW_LOG_CONTAINER]);
  });

  test("a named Network Watcher is used when the config gives one", () => {
    const custom = synth((c) => (c.clouds.azure.networkWatcher = { name: "nw-uk", resourceGroupName: "net-rg" }));
    expect(one(custom, "azurerm_network_watcher_flow_log", "FlowLog")[1]).toMatchObject({ network_watcher_name: "nw-uk", resource_group_name: "net-rg" });
  });

  test("Event Grid sends the flow-log container's blob commits to the detector's queue, dead letters to a container", () => {
    const topic = body("azurerm_eventgrid_system_topic", "FlowEvents");
    expect(topic).toMatchObject({ topic_type: "Microsoft.Storage.StorageAccounts", source_resource_id: ref(address("azurerm_storage_account", "FlowLogStorage")), identity: { type: "SystemAssigned" } });
    const sub = body("azurerm_eventgrid_system_topic_event_subscription", "FlowEventsToQueue");
    expect(sub.included_event_types).toEqual(["Microsoft.Storage.BlobCreated"]);
    expect(sub.subject_filter).toEqual({ subject_begins_with: `/blobServices/default/containers/${FLOW_LOG_CONTAINER}/`, subject_ends_with: ".json" });
    expect(sub.storage_queue_endpoint).toMatchObject({ storage_account_id: ref(address("azurerm_storage_account", "Storage")), queue_name: ref(address("azurerm_storage_queue", "FlowQueue"), "name") });
    expect(sub.delivery_identity).toEqual({ type: "SystemAssigned" });
    // The topic's identity may send to that queue and write dead letters, nothing more.
    const topicPrincipal = ref(address("azurerm_eventgrid_system_topic", "FlowEvents"), "identity[0].principal_id");
    const grants = resources(out, "azurerm_role_assignment").filter(([, r]) => r.principal_id === topicPrincipal).map(([, r]) => [r.role_definition_name, r.scope]);
    expect(grants.sort()).toEqual([
      ["Storage Blob Data Contributor", ref(address("azurerm_storage_container", "DeadLetterContainer"))],
      ["Storage Queue Data Message Sender", ref(address("azurerm_storage_queue", "FlowQueue"))],
    ]);
  });
});

describe("functions", () => {
  test("the settings name the gateway, its set and pool, the copies, the table and the flow log", () => {
    const s = settings();
    const e = AZURE_QUARANTINE_ENV;
    expect(s[e.gatewayId]).toBe(ref(address("azurerm_application_gateway", "Gateway")));
    expect(s[e.rewriteRuleSet]).toBe(GATEWAY_NAMES.rewriteRuleSet);
    expect(s[e.copiesPool]).toBe(GATEWAY_NAMES.copiesPool);
    expect(s[e.rewritePath]).toBe(REWRITE_PATH);
    expect(s[e.copiesAppId]).toBe(ref(address("azurerm_container_app", "CopiesApp")));
    expect(s[e.tableUrl]).toBe(`${ref(address("azurerm_storage_account", "Storage"), "primary_table_endpoint")}${TABLE_NAME}`);
    expect(s[e.flowLogUrl]).toBe(`${ref(address("azurerm_storage_account", "FlowLogStorage"), "primary_blob_endpoint")}${FLOW_LOG_CONTAINER}`);
    expect(s[e.modeSchedule]).toBe(MODE_SCHEDULE);
    expect(s[`${FLOW_QUEUE_CONNECTION}__queueServiceUri`]).toBe(ref(address("azurerm_storage_account", "Storage"), "primary_queue_endpoint"));
    for (const key of Object.values(e)) expect([key, typeof s[key]]).toEqual([key, "string"]);
  });

  test("the runtime steering is the rewrite set's: 40 rules of 5 addresses from sequence 100", () => {
    const runtime = JSON.parse(settings()[AZURE_QUARANTINE_ENV.config]);
    expect(runtime.steering).toEqual({ firstPriority: 100, ruleQuota: REWRITE_RULES_PER_SET, albRuleLimit: REWRITE_RULES_PER_SET, cidrsPerRule: 5 });
    // The demo network (the gateway's instances) is never quarantined.
    expect(runtime.detector.allowCidrs).toEqual(["10.43.0.0/16"]);
  });

  test("one Y1 app with one instance, as the user-assigned identity only", () => {
    const app = body("azurerm_linux_function_app", "App");
    expect(body("azurerm_service_plan", "Plan").sku_name).toBe("Y1");
    expect(app.site_config.app_scale_limit).toBe(1);
    expect(app.site_config.application_stack).toEqual({ node_version: "22" });
    expect(app.identity).toEqual({ type: "UserAssigned", identity_ids: [ref(address("azurerm_user_assigned_identity", "Identity"))] });
    expect(body("azurerm_storage_account", "Storage").shared_access_key_enabled).toBe(false);
  });

  test("the identity holds exactly these roles, each on one resource", () => {
    const principal = ref(address("azurerm_user_assigned_identity", "Identity"), "principal_id");
    const grants = resources(out, "azurerm_role_assignment")
      .filter(([, r]) => r.principal_id === principal)
      .map(([, r]) => [r.role_definition_name ?? deref(out, r.role_definition_id)[1].name, r.scope]);
    // Custom roles' names end in the deployment's unique part (a Terraform expression): compare without it.
    const byRole = (...names: string[]) => grants.filter(([role]) => names.includes(role.replace(/-\$\{.*$/, ""))).map(([, scope]) => scope).sort();
    expect(grants).toHaveLength(14);
    expect(byRole("Storage Table Data Contributor")).toEqual([ref(address("azurerm_storage_table", "Table"), "resource_manager_id")]);
    expect(byRole("Storage Queue Data Reader", "Storage Queue Data Message Processor", "Storage Queue Data Contributor")).toEqual(
      [ref(address("azurerm_storage_queue", "FlowQueue")), ref(address("azurerm_storage_queue", "FlowQueue")), ref(address("azurerm_storage_queue", "FlowPoisonQueue"))].sort(),
    );
    expect(byRole("Storage Blob Data Reader")).toEqual([ref(address("azurerm_storage_container", "FlowLogContainer")), ref(address("azurerm_storage_container", "PackagesContainer"))].sort());
    expect(byRole("lure-quarantine-steering")).toEqual([ref(address("azurerm_application_gateway", "Gateway"))]);
    expect(byRole("lure-quarantine-join")).toEqual([ref(address("azurerm_subnet", "GatewaySubnet")), ref(address("azurerm_public_ip", "PublicIp"))].sort());
    expect(byRole("lure-quarantine-copies")).toEqual([ref(address("azurerm_container_app", "CopiesApp"))]);
    expect(byRole("lure-quarantine-copies-env")).toEqual([ref(address("azurerm_container_app_environment", "CopiesEnvironment"))]);
    // Never the real service, its environment or subnet, the resource group, or the flow-log account itself.
    const scopes = grants.map(([, scope]) => scope);
    for (const [type, id] of [
      ["azurerm_container_app", "RealApp"],
      ["azurerm_container_app_environment", "RealEnvironment"],
      ["azurerm_subnet", "RealSubnet"],
      ["azurerm_subnet", "CopiesSubnet"],
      ["azurerm_resource_group", "ResourceGroup"],
      ["azurerm_storage_account", "FlowLogStorage"],
      ["azurerm_storage_account", "Storage"],
      ["azurerm_virtual_network", "Network"],
    ]) {
      expect(scopes).not.toContain(ref(address(type, id)));
    }
  });

  test("the custom roles spell out their actions, assignable only in the quarantine's resource group", () => {
    const actions = Object.fromEntries(
      resources(out, "azurerm_role_definition").map(([, d]) => [d.name.replace(/-\$\{.*$/, ""), [d.permissions[0].actions, d.assignable_scopes, d.permissions[0].not_actions]]),
    );
    const rg = [ref(address("azurerm_resource_group", "ResourceGroup"))];
    expect(actions).toEqual({
      "lure-quarantine-steering": [["Microsoft.Network/applicationGateways/read", "Microsoft.Network/applicationGateways/write", "Microsoft.Network/applicationGateways/backendhealth/action"], rg, undefined],
      "lure-quarantine-join": [["Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Network/publicIPAddresses/join/action"], rg, undefined],
      "lure-quarantine-copies": [["Microsoft.App/containerApps/read", "Microsoft.App/containerApps/write"], rg, undefined],
      "lure-quarantine-copies-env": [["Microsoft.App/managedEnvironments/join/action"], rg, undefined],
    });
  });
});

describe("policy", () => {
  test("every rule passes on the stack", () => {
    expect(checkStack(out)).toEqual([]);
  });

  test("the isolation rule catches an identity on the copies and an NSG that no longer separates them", () => {
    const broken = JSON.parse(JSON.stringify(out)) as Json;
    const [, app] = one(broken, "azurerm_container_app", "CopiesApp");
    app.identity = { type: "SystemAssigned" };
    const [deny] = resources(broken, "azurerm_network_security_rule").find(([a]) => a.includes("CopiesSecurityGroup-deny-to-real"))!;
    delete broken.resource.azurerm_network_security_rule[deny.split(".")[1]];
    const messages = quarantineCopiesIsolated.check(broken).map((v) => v.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/gives the copies an identity/);
    expect(messages[1]).toMatch(/does not deny outbound traffic to the real service's subnet 10\.43\.32\.0\/19/);
  });

  test("an allow ahead of the deny is a path, and a copies environment in the real subnet is caught", () => {
    const broken = JSON.parse(JSON.stringify(out)) as Json;
    const [addr] = resources(broken, "azurerm_network_security_rule").find(([a]) => a.includes("CopiesSecurityGroup-from-gateway"))!;
    broken.resource.azurerm_network_security_rule[addr.split(".")[1]].priority = 50;
    broken.resource.azurerm_network_security_rule[addr.split(".")[1]].source_address_prefix = "VirtualNetwork";
    expect(quarantineCopiesIsolated.check(broken).map((v) => v.message)).toEqual([expect.stringMatching(/does not deny inbound traffic from the real service's subnet/)]);
    const shared = JSON.parse(JSON.stringify(out)) as Json;
    one(shared, "azurerm_container_app_environment", "CopiesEnvironment")[1].infrastructure_subnet_id = ref(address("azurerm_subnet", "RealSubnet"));
    expect(quarantineCopiesIsolated.check(shared).map((v) => v.message)).toContainEqual(expect.stringMatching(/shares azurerm_subnet\.Quarantine_RealSubnet_[0-9A-F]{8} with the real service/));
  });
});

describe("props", () => {
  test("an existing (AWS) target is refused with the path, and asg copies fall back to the demo image", () => {
    const existing = configWith((c) => {
      c.quarantine = {
        ...c.quarantine,
        target: {
          listenerArn: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef",
          taskDefinitionArn: "arn:aws:ecs:eu-west-2:123456789012:task-definition/web:3",
          vpcId: "vpc-0123456789abcdef0",
          subnetIds: ["subnet-0123456789abcdef0"],
          containerName: "web",
          containerPort: 8080,
          albSecurityGroupId: "sg-0123456789abcdef0",
        },
        copies: { kind: "ecs", image: "ghcr.io/example/decoy:1" },
      };
    });
    expect(() => new AzureQuarantineStack(Testing.app(), "azure-quarantine", existing, existing.clouds.azure!)).toThrow(ConfigError);
    expect(() => new AzureQuarantineStack(Testing.app(), "azure-quarantine", existing, existing.clouds.azure!)).toThrow(/quarantine\.target: an existing service is an AWS listener/);
    const asg = synth((c) => (c.quarantine = { ...c.quarantine, copies: { kind: "asg", amiId: "ami-0123456789abcdef0", containerPort: 8081 } }));
    const app = one(asg, "azurerm_container_app", "CopiesApp")[1];
    expect([app.template.container[0].image, app.ingress.target_port]).toEqual(["public.ecr.aws/nginx/nginx:1.27.5-alpine", 80]);
  });
});

// ------------------------------------------------------------------------------------------------
// The construct ↔ function contract

/** The app settings as a deployed app sees them: Terraform references resolved to plausible values. */
function deployedSettings(stack: Json): Record<string, string> {
  const GUID = "0b1f6471-1bf0-4dda-aec3-111122223333";
  const group = `/subscriptions/${GUID}/resourceGroups/lure-quarantine/providers`;
  return Object.fromEntries(
    Object.entries(one(stack, "azurerm_linux_function_app", "App")[1].app_settings as Record<string, string>).map(([k, v]) => [
      k,
      v
        .replace(/\$\{azurerm_application_gateway\.[A-Za-z0-9_-]+\.id\}/g, `${group}/Microsoft.Network/applicationGateways/lure-quarantine-gateway`)
        .replace(/\$\{azurerm_container_app\.[A-Za-z0-9_-]+\.id\}/g, `${group}/Microsoft.App/containerApps/lure-quarantine-copies`)
        .replace(/\$\{azurerm_storage_account\.Quarantine_FlowLogStorage_[0-9A-F]{8}\.primary_blob_endpoint\}/g, "https://lureqflow1a2b3c4d.blob.core.windows.net/")
        .replace(/\$\{azurerm_storage_account\.[A-Za-z0-9_-]+\.primary_(blob|queue|table)_endpoint\}/g, "https://lureqstate1a2b3c4d.$1.core.windows.net/")
        .replace(/\$\{[^}]+\.(client_id|principal_id)\}/g, GUID)
        .replace(/\$\{[^}]+\}/g, "lure-resolved"),
    ]),
  );
}

describe("environment contract: the built package loads with the construct's app settings", () => {
  let dir: string;
  let loads: Record<"deployed" | "wrong", Loaded>;
  beforeAll(async () => {
    dir = unpackPackage(azureQuarantinePackage().zipPath, { "@azure/functions-core": FAKE_FUNCTIONS_CORE });
    const [d, w] = await Promise.all([loadPackage(dir, deployedSettings(out)), loadPackage(dir, { ...deployedSettings(out), [AZURE_QUARANTINE_ENV.gatewayId]: "/subscriptions/x/gateway" })]);
    loads = { deployed: d, wrong: w };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("the zip holds index.js, this app's host.json and package.json", () => {
    const files = unzip(readFileSync(azureQuarantinePackage().zipPath));
    expect([...files.keys()]).toEqual(["index.js", "host.json", "package.json"]);
    expect(JSON.parse(files.get("host.json")!.toString("utf8"))).toEqual(HOST_JSON);
    expect(HOST_JSON.extensions.queues).toMatchObject({ batchSize: 1, maxPollingInterval: "00:00:02" });
    const code = files.get("index.js")!.toString("utf8");
    expect(code).toContain('require("@azure/functions-core")');
    // The watcher's functions are not in this package.
    expect(code).not.toMatch(/shodan/i);
  });

  test("no env error, and exactly detector (queue) and mode (timer) are registered", () => {
    const { stdout, stderr, failed } = loads.deployed;
    expect({ failed, stderr: failed ? stderr.slice(-2000) : "" }).toEqual({ failed: false, stderr: "" });
    const registered = JSON.parse(stdout) as { name: string; bindings: Record<string, Json> }[];
    const triggers = registered.map((r) => {
      const t = Object.values(r.bindings).find((b) => b.direction === "in" && /Trigger$/.test(b.type))!;
      return { name: r.name, type: t.type, schedule: t.schedule, queueName: t.queueName, connection: t.connection };
    });
    expect(triggers).toEqual([
      { name: "detector", type: "queueTrigger", schedule: undefined, queueName: "%LURE_FLOW_QUEUE_NAME%", connection: FLOW_QUEUE_CONNECTION },
      { name: "mode", type: "timerTrigger", schedule: "%LURE_MODE_SCHEDULE%", queueName: undefined, connection: undefined },
    ]);
  });

  test("a wrong setting stops the package at load, naming the variable", () => {
    expect(loads.wrong.failed).toBe(true);
    expect(loads.wrong.stderr).toMatch(/LURE_GATEWAY_ID/);
  });
});
