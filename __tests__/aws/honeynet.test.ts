import { readFileSync } from "fs";
import { join } from "path";
import { PROFILES, TPOT } from "../../modules/core/catalog";
import { checkStack } from "../../modules/core/policy";
import { honeypotEnvironment } from "../../modules/aws/honeynet";
import { validateConfig } from "../../modules/core/config";
import { tpotLogstashStartScript } from "../../modules/core/analytics";
import { honeynetPropsProblems } from "../../modules/core/validate";
import { configWith, defaultConfigInput, deref, ref, resources, ROOT, synthAwsHoneynet, tagOf, type Json } from "../helpers/synth";

const stack = synthAwsHoneynet();
const INDUSTRIAL = PROFILES.industrial;

/** Expected public ports straight from the shipped catalog: container ports, deduplicated. */
function catalogPorts(name: string): string[] {
  const raw = JSON.parse(readFileSync(join(ROOT, "modules/core/catalog/tpot.json"), "utf8"));
  return [...new Set<string>(raw.honeypots[name].ports.map((p: Json) => `${p.container}/${p.protocol}`))].sort();
}

const services = resources(stack, "aws_ecs_service");
const serviceOf = (honeypot: string): Json => {
  const found = services.filter(([, s]) => tagOf(s, "lure:honeypot") === honeypot);
  expect(found).toHaveLength(1);
  return found[0][1];
};
const ingressOf = (sgRef: string) => resources(stack, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.security_group_id === sgRef);
const containersOf = (td: Json): Json[] => JSON.parse(td.container_definitions);
const WORLD = ["0.0.0.0/0", "::/0"];

describe("default config: industrial profile on Fargate", () => {
  test("profile is the ICS set (rdphoneypot stands in for the deprecated rdpy; honeysap and honeytrap are out)", () => {
    expect([...INDUSTRIAL].sort()).toEqual(
      ["conpot_IEC104", "conpot_default", "conpot_guardian_ast", "conpot_ipmi", "conpot_kamstrup_382", "cowrie", "dicompot", "heralding", "medpot", "rdphoneypot"].sort(),
    );
  });

  test("one ECS service per honeypot plus Elasticsearch, Logstash and Kibana", () => {
    expect(services).toHaveLength(INDUSTRIAL.length + 3);
    const honeypotServices = services.filter(([, s]) => tagOf(s, "lure:component") === "honeypot");
    expect(honeypotServices.map(([, s]) => tagOf(s, "lure:honeypot")).sort()).toEqual([...INDUSTRIAL].sort());
  });

  test.each(INDUSTRIAL)("%s: public IP, Spot, own security group with exactly its catalog ports", (name) => {
    const svc = serviceOf(name);
    expect(svc.network_configuration.assign_public_ip).toBe(true);
    expect(svc.capacity_provider_strategy).toEqual([{ capacity_provider: "FARGATE_SPOT", weight: 1 }]);
    expect(svc.desired_count).toBe(1);
    expect(svc.platform_version).toBe("1.4.0");

    const [ownSg, ...others] = svc.network_configuration.security_groups as string[];
    const [sgAddress, sg] = deref(stack, ownSg);
    expect(tagOf(sg, "lure:honeypot")).toBe(name);
    const rules = ingressOf(ref(sgAddress));
    // Every ingress rule of the honeypot's group is one catalog port from the internet, and nothing else.
    expect(rules.every(([, r]) => r.cidr_ipv4 === "0.0.0.0/0" && r.from_port === r.to_port && r.referenced_security_group_id === undefined)).toBe(true);
    expect(rules.map(([, r]) => `${r.from_port}/${r.ip_protocol}`).sort()).toEqual(catalogPorts(name));
    // Other groups on the service (the EFS client group) admit nothing.
    for (const other of others) expect(ingressOf(other)).toHaveLength(0);

    // The task publishes the same ports, host port = container port (Fargate cannot remap).
    const [, td] = deref(stack, `\${${svc.task_definition.slice(2, -1)}}`);
    const main = containersOf(td).find((c) => c.name === name)!;
    expect(main.portMappings.map((p: Json) => `${p.containerPort}/${p.protocol}`).sort()).toEqual(catalogPorts(name));
    expect(main.portMappings.every((p: Json) => p.hostPort === p.containerPort)).toBe(true);
  });

  test("dicompot: the 104→11112 mapping cannot exist on Fargate, so only 11112/tcp is open", () => {
    expect(catalogPorts("dicompot")).toEqual(["11112/tcp"]);
    const [sgAddress] = deref(stack, serviceOf("dicompot").network_configuration.security_groups[0]);
    expect(ingressOf(ref(sgAddress)).map(([, r]) => r.from_port)).toEqual([11112]);
  });

  test("no task definition uses tmpfs, host ports that differ, or the same container port for two protocols", () => {
    for (const [, td] of resources(stack, "aws_ecs_task_definition")) {
      expect(td.requires_compatibilities).toEqual(["FARGATE"]);
      expect(td.network_mode).toBe("awsvpc");
      const seen = new Set<number>();
      for (const c of containersOf(td)) {
        expect(c.linuxParameters?.tmpfs).toBeUndefined();
        for (const p of c.portMappings) {
          expect(p.hostPort).toBe(p.containerPort);
          expect(seen.has(p.containerPort)).toBe(false);
          seen.add(p.containerPort);
        }
      }
    }
  });

  test("T-Pot tmpfs paths become ephemeral volumes made writable by a one-shot root container", () => {
    const td = deref(stack, `\${${serviceOf("cowrie").task_definition.slice(2, -1)}}`)[1];
    const [init, cowrie] = containersOf(td);
    expect(init).toMatchObject({ name: "prepare-volumes", essential: false, user: "0", command: ["chmod", "1777", "/volumes/scratch-0", "/volumes/scratch-1", "/volumes/scratch-2", "/volumes/scratch-3"] });
    expect(cowrie.dependsOn).toEqual([{ containerName: "prepare-volumes", condition: "SUCCESS" }]);
    expect(cowrie.readonlyRootFilesystem).toBe(true);
    const paths = cowrie.mountPoints.map((m: Json) => m.containerPath);
    expect(paths).toEqual(expect.arrayContaining(["/tmp/cowrie", "/tmp/cowrie/data", "/home/cowrie/cowrie/log", "/home/cowrie/cowrie/log/tty"]));
    const ephemeral = td.volume.filter((v: Json) => !v.efs_volume_configuration).map((v: Json) => v.name);
    expect(ephemeral).toEqual(["scratch-0", "scratch-1", "scratch-2", "scratch-3"]);
  });

  test("privileged ports: sysctl only where the image cannot bind them itself", () => {
    const sysctl = (name: string) => {
      const td = deref(stack, `\${${serviceOf(name).task_definition.slice(2, -1)}}`)[1];
      return containersOf(td).find((c) => c.name === name)!.systemControls;
    };
    // cowrie, conpot and heralding carry cap_net_bind_service; dicompot and medpot use high ports.
    for (const name of INDUSTRIAL) expect(sysctl(name)).toBeUndefined();
    const std = synthAwsHoneynet(configWith((c) => (c.honeynet.profile = ["ipphoney", "cowrie"])));
    const td = resources(std, "aws_ecs_task_definition").find(([, t]) => tagOf(t, "lure:honeypot") === "ipphoney")![1];
    expect(containersOf(td)[0].systemControls).toEqual([{ namespace: "net.ipv4.ip_unprivileged_port_start", value: "0" }]);
  });
});

describe("logs on EFS", () => {
  const logFolders = [...new Set(INDUSTRIAL.flatMap((n) => TPOT.honeypots[n].logFolders.map((f) => f.folder)))].sort();

  test("file system is encrypted at rest and admits NFS only from honeynet tasks", () => {
    const fs = resources(stack, "aws_efs_file_system");
    expect(fs).toHaveLength(1);
    expect(fs[0][1].encrypted).toBe(true);
    const mts = resources(stack, "aws_efs_mount_target");
    expect(mts).toHaveLength(2);
    const [mtSgAddr] = deref(stack, mts[0][1].security_groups[0]);
    const nfs = ingressOf(ref(mtSgAddr));
    expect(nfs).toHaveLength(1);
    expect(nfs[0][1]).toMatchObject({ from_port: 2049, to_port: 2049, ip_protocol: "tcp" });
    expect(nfs[0][1].cidr_ipv4).toBeUndefined();
    expect(tagOf(deref(stack, nfs[0][1].referenced_security_group_id)[1], "lure:component")).toBe("logs");
  });

  test("one access point per honeypot log folder, owned by 2000:2000", () => {
    expect(logFolders).toEqual(["conpot/log", "cowrie/log", "cowrie/log/tty", "dicompot/log", "heralding/log", "medpot/log", "rdphoneypot/log"]);
    const aps = resources(stack, "aws_efs_access_point");
    const logAps = aps.filter(([, a]) => tagOf(a, "lure:component") === "logs");
    expect(logAps.map(([, a]) => a.root_directory.path).sort()).toEqual(logFolders.map((f) => `/${f}`));
    for (const [, a] of logAps) {
      expect(a.posix_user).toEqual({ uid: 2000, gid: 2000 });
      expect(a.root_directory.creation_info).toMatchObject({ owner_uid: 2000, owner_gid: 2000 });
    }
    // The only other access points hold Elasticsearch and Logstash state.
    expect(aps.filter(([, a]) => tagOf(a, "lure:component") !== "logs").map(([, a]) => a.root_directory.path).sort()).toEqual(["/elasticsearch/data", "/logstash/data"]);
  });

  test("every EFS volume uses an access point, transit encryption and IAM authorization", () => {
    let volumes = 0;
    for (const [, td] of resources(stack, "aws_ecs_task_definition")) {
      for (const v of td.volume ?? []) {
        if (!v.efs_volume_configuration) continue;
        volumes++;
        expect(v.efs_volume_configuration.transit_encryption).toBe("ENABLED");
        expect(v.efs_volume_configuration.authorization_config.iam).toBe("ENABLED");
        expect(v.efs_volume_configuration.authorization_config.access_point_id).toMatch(/^\$\{aws_efs_access_point\./);
        expect(v.efs_volume_configuration.root_directory).toBeUndefined();
      }
    }
    // 10 honeypots mount 11 log volumes (cowrie two); Logstash 6 log folders (none reads cowrie/log/tty) + its data; Elasticsearch 1.
    expect(volumes).toBe(11 + 7 + 1);
  });

  test("Logstash mounts every log folder read-only where the catalog's pipeline paths expect them", () => {
    const td = resources(stack, "aws_ecs_task_definition").find(([, t]) => t.family === "lure-logstash")![1];
    const [ls] = containersOf(td);
    const ro = ls.mountPoints.filter((m: Json) => m.readOnly).map((m: Json) => m.containerPath).sort();
    expect(ro).toEqual(logFolders.filter((f) => f !== "cowrie/log/tty").map((f) => `/data/${f}`));
    // T-Pot's file inputs read /data/<folder>/...: every deployed honeypot's log input lies in a mounted folder.
    for (const name of INDUSTRIAL) for (const input of TPOT.honeypots[name].logInputs) expect(ro.some((m: string) => input.path.startsWith(`${m}/`))).toBe(true);
  });
});

describe("T-Pot's analytics", () => {
  const taskOf = (family: string, s: Json = stack) => resources(s, "aws_ecs_task_definition").find(([, t]) => t.family === family)![1];
  const env = (c: Json) => Object.fromEntries(c.environment.map((e: Json) => [e.name, e.value]));

  test("Logstash is T-Pot's image of the catalog's release, with its own pipeline and entrypoint, as HIVE, labelled lure-aws", () => {
    const [ls, ...rest] = containersOf(taskOf("lure-logstash"));
    expect(rest).toHaveLength(0);
    expect(ls.image).toBe(`ghcr.io/telekom-security/logstash:${TPOT.source.version}`);
    // lure's start script (no Beats: T-Pot's pipelines.yml as shipped, its file inputs on the mounted logs), then T-Pot's entrypoint.
    expect(ls.entryPoint).toEqual(["/bin/bash", "-c"]);
    expect(ls.command).toEqual([tpotLogstashStartScript()]);
    expect(ls.command[0]).toContain("until curl -fs --max-time 10 -o /dev/null http://elasticsearch:9200/_cluster/health");
    expect(ls.command[0].trimEnd().endsWith("exec /usr/bin/entrypoint.sh")).toBe(true);
    // No empty values: ECS drops them, and T-Pot's pipeline needs MY_EXTIP/MY_INTIP defined (the script exports them).
    expect(env(ls)).toEqual({ LS_JAVA_OPTS: "-Xms1024m -Xmx1024m", MY_HOSTNAME: "lure-aws", TPOT_TYPE: "HIVE" });
    expect(ls.mountPoints).toEqual(expect.arrayContaining([{ sourceVolume: "data", containerPath: "/usr/share/logstash/data", readOnly: false }]));
  });

  test("T-Pot's pipeline reaches elasticsearch:9200 by its short name: the Cloud Map namespace is the VPC's search domain", () => {
    const [, dhcp] = resources(stack, "aws_vpc_dhcp_options")[0];
    const [, ns] = resources(stack, "aws_service_discovery_private_dns_namespace")[0];
    expect(dhcp.domain_name.split(" ")).toContain(ns.name);
    const discovery = resources(stack, "aws_service_discovery_service").map(([, d]) => d.name);
    expect(discovery).toEqual(expect.arrayContaining(["elasticsearch"]));
  });

  test("Kibana's task imports T-Pot's saved objects once Kibana is healthy: tpotinit of the release, not essential, idempotent", () => {
    const td = taskOf("lure-kibana");
    const [kibana, objects, ...rest] = containersOf(td);
    expect(rest).toHaveLength(0);
    expect(kibana.healthCheck).toEqual({ command: ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1:5601/api/status || exit 1"], interval: 30, timeout: 10, retries: 10, startPeriod: 300 });
    expect(objects).toMatchObject({
      name: "kibana-objects",
      image: `ghcr.io/telekom-security/tpotinit:${TPOT.source.version}`,
      essential: false,
      readonlyRootFilesystem: true,
      entryPoint: ["/bin/sh", "-c"],
      dependsOn: [{ containerName: "kibana", condition: "HEALTHY" }],
      mountPoints: [{ sourceVolume: "kibana-objects-tmp", containerPath: "/tmp", readOnly: false }],
    });
    const script: string = objects.command[0];
    expect(objects.command).toHaveLength(1);
    expect(script).toContain("KIBANA='http://127.0.0.1:5601'");
    expect(script).toContain('"$KIBANA/api/saved_objects/_import?overwrite=true"');
    expect(script).toContain("/opt/tpot/etc/objects/kibana_export.ndjson.zip");
    expect(script.trimEnd().endsWith("exit 0")).toBe(true);
    // Its output goes to the honeynet's log group like every container's.
    expect(objects.logConfiguration.options["awslogs-stream-prefix"]).toBe("kibana-objects");
    expect(td.volume).toEqual([{ name: "kibana-objects-tmp" }]);
  });

  test("honeynet.elastic.size sets both tasks; standard is T-Pot's 4 GiB / 2 GiB", () => {
    const sized = (size?: string) => {
      const s = size ? synthAwsHoneynet(configWith((c) => (c.honeynet.elastic = { size }))) : stack;
      const es = taskOf("lure-elasticsearch", s);
      const ls = taskOf("lure-logstash", s);
      return [es.cpu, es.memory, env(containersOf(es)[0]).ES_JAVA_OPTS, ls.cpu, ls.memory, env(containersOf(ls)[0]).LS_JAVA_OPTS];
    };
    expect(sized()).toEqual(["1024", "4096", "-Xms2048m -Xmx2048m", "1024", "2048", "-Xms1024m -Xmx1024m"]);
    expect(sized("small")).toEqual(["512", "2048", "-Xms1024m -Xmx1024m", "512", "2048", "-Xms768m -Xmx768m"]);
    expect(sized("large")).toEqual(["2048", "8192", "-Xms4096m -Xmx4096m", "1024", "4096", "-Xms2048m -Xmx2048m"]);
  });
});

describe("dashboard: Kibana only through the ALB and WAF", () => {
  const acl = resources(stack, "aws_wafv2_web_acl");
  const ipSets = resources(stack, "aws_wafv2_ip_set");

  test("web ACL blocks by default and allows only the configured IP set, on the dashboard ALB", () => {
    expect(acl).toHaveLength(1);
    const [aclAddr, body] = acl[0];
    expect(body.default_action).toEqual({ block: {} });
    expect(body.scope).toBe("REGIONAL");
    expect(body.rule).toHaveLength(1);
    expect(body.rule[0].action).toEqual({ allow: {} });
    expect(ipSets).toHaveLength(1);
    expect(body.rule[0].statement).toEqual({ ip_set_reference_statement: { arn: ref(ipSets[0][0], "arn") } });
    expect(ipSets[0][1].addresses).toEqual(["203.0.113.0/24"]);
    const assoc = resources(stack, "aws_wafv2_web_acl_association");
    expect(assoc).toHaveLength(1);
    expect(assoc[0][1].web_acl_arn).toBe(ref(aclAddr, "arn"));
    const [lbAddr, lb] = deref(stack, assoc[0][1].resource_arn);
    expect(lb.internal).toBe(false);
    expect(resources(stack, "aws_lb").map(([a]) => a)).toEqual([lbAddr]);
  });

  test("ALB admits only the allow-list; Kibana admits only the ALB; Elasticsearch only Kibana and Logstash", () => {
    const [, lb] = resources(stack, "aws_lb")[0];
    const albRules = ingressOf(lb.security_groups[0]);
    expect(albRules.map(([, r]) => [r.cidr_ipv4, r.from_port])).toEqual([["203.0.113.0/24", 80]]);

    const kibana = services.find(([, s]) => s.name === "lure-kibana")![1];
    const kibRules = ingressOf(kibana.network_configuration.security_groups[0]);
    expect(kibRules.map(([, r]) => [r.from_port, r.referenced_security_group_id, r.cidr_ipv4])).toEqual([[5601, lb.security_groups[0], undefined]]);
    expect(kibana.load_balancer[0]).toMatchObject({ container_name: "kibana", container_port: 5601 });
    // Kibana starts slowly: without a grace period the ALB health check would have ECS replace it in a loop.
    expect(kibana.health_check_grace_period_seconds).toBe(300);
    for (const [, s] of services.filter(([, x]) => !x.load_balancer)) expect(s.health_check_grace_period_seconds).toBeUndefined();

    const es = services.find(([, s]) => s.name === "lure-elasticsearch")![1];
    const esRules = ingressOf(es.network_configuration.security_groups[0]);
    const kibSg = kibana.network_configuration.security_groups[0];
    const lsSg = services.find(([, s]) => s.name === "lure-logstash")![1].network_configuration.security_groups[0];
    expect(esRules.map(([, r]) => [r.from_port, r.referenced_security_group_id]).sort()).toEqual([[9200, kibSg], [9200, lsSg]].sort());
    expect(ingressOf(lsSg)).toHaveLength(0);
  });

  test("no rule anywhere opens 5601, 9200 or a Logstash input to the internet", () => {
    const sensitive = [5601, 9200, 5044, 9600, 64305];
    const open = resources(stack, "aws_vpc_security_group_ingress_rule").filter(
      ([, r]) =>
        (WORLD.includes(r.cidr_ipv4) || WORLD.includes(r.cidr_ipv6)) &&
        (r.ip_protocol === "-1" || sensitive.some((p) => r.from_port <= p && p <= r.to_port)),
    );
    expect(open).toEqual([]);
    expect(resources(stack, "aws_security_group_rule")).toEqual([]);
    for (const [, sg] of resources(stack, "aws_security_group")) expect(sg.ingress).toBeUndefined();
    // The internet-facing honeypot groups carry no Elastic port either (elasticpot is not in this profile).
    expect(resources(stack, "aws_vpc_security_group_ingress_rule").filter(([, r]) => sensitive.includes(r.from_port) && r.cidr_ipv4)).toEqual([]);
  });

  test("plain HTTP without a certificate; HTTPS plus a redirect with one", () => {
    expect(resources(stack, "aws_lb_listener").map(([, l]) => [l.port, l.protocol])).toEqual([[80, "HTTP"]]);
    const https = synthAwsHoneynet(configWith((c) => (c.honeynet.dashboard.certificateArn = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234")));
    const listeners = resources(https, "aws_lb_listener").map(([, l]) => l);
    expect(listeners.map((l) => [l.port, l.protocol]).sort()).toEqual([[443, "HTTPS"], [80, "HTTP"]].sort());
    expect(listeners.find((l) => l.port === 443)!.certificate_arn).toBe("arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234");
    expect(listeners.find((l) => l.port === 80)!.default_action[0]).toMatchObject({ type: "redirect", redirect: { protocol: "HTTPS", port: "443" } });
  });

  test("an opted-in world-open allow-list becomes two /1 halves (WAF rejects /0)", () => {
    const open = synthAwsHoneynet(configWith((c) => (c.honeynet.dashboard = { ...c.honeynet.dashboard, allowCidrs: ["0.0.0.0/0"], allowWorldOpen: true })));
    expect(resources(open, "aws_wafv2_ip_set")[0][1].addresses).toEqual(["0.0.0.0/1", "128.0.0.0/1"]);
    // The opt-in is visible on the web ACL; only with it does the policy accept a whole-space allow-list.
    expect(resources(open, "aws_wafv2_web_acl")[0][1].tags["lure:world-open"]).toBe("accepted");
    expect(checkStack(open)).toEqual([]);
    expect(acl[0][1].tags["lure:world-open"]).toBeUndefined();
  });
});

describe("IAM", () => {
  const roles = resources(stack, "aws_iam_role");
  const policies = resources(stack, "aws_iam_role_policy");
  const policyOf = (roleAddr: string) => policies.filter(([, p]) => p.role === ref(roleAddr)).map(([, p]) => JSON.parse(p.policy));

  test("honeypot task roles may only mount and write their own log access points", () => {
    const hpRoles = roles.filter(([, r]) => tagOf(r, "lure:component") === "honeypot");
    // Every industrial honeypot writes logs, so each has exactly one task role.
    expect(hpRoles.map(([, r]) => tagOf(r, "lure:honeypot")).sort()).toEqual([...INDUSTRIAL].sort());
    for (const [addr, role] of hpRoles) {
      const docs = policyOf(addr);
      expect(docs).toHaveLength(1);
      const [st] = docs[0].Statement;
      expect(docs[0].Statement).toHaveLength(1);
      expect(st.Action).toEqual(["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]);
      expect(st.Resource).toEqual([ref(resources(stack, "aws_efs_file_system")[0][0], "arn")]);
      const folders = TPOT.honeypots[tagOf(role, "lure:honeypot")!].logFolders.map((f) => `/${f.folder}`).sort();
      const granted = (st.Condition.StringEquals["elasticfilesystem:AccessPointArn"] as string[]).map((a) => deref(stack, a)[1].root_directory.path).sort();
      expect(granted).toEqual(folders);
      expect(JSON.parse(role.assume_role_policy).Statement[0].Principal).toEqual({ Service: "ecs-tasks.amazonaws.com" });
    }
    expect(resources(stack, "aws_iam_role_policy_attachment")).toEqual([]);
  });

  test("no statement allows a mutating action on *", () => {
    for (const [, p] of policies) {
      for (const st of JSON.parse(p.policy).Statement) {
        if (st.Resource.includes("*")) expect(st.Action.every((a: string) => /:(Get|List|Describe)/.test(a))).toBe(true);
      }
    }
  });
});

test("outputs: dashboard URL, cluster name, honeypot service names (and the watcher's, tested with it)", () => {
  expect(Object.keys(stack.output).filter((o) => !o.startsWith("watcher_")).sort()).toEqual(["cluster_name", "dashboard_url", "honeypot_services"]);
  expect(stack.output.dashboard_url.value).toMatch(/^http:\/\/\$\{aws_lb\..+\.dns_name\}$/);
  expect(Object.keys(stack.output.honeypot_services.value).sort()).toEqual([...INDUSTRIAL].sort());
  expect(stack.output.honeypot_services.value.cowrie).toBe("lure-hp-cowrie");
});

test("policy rules find nothing on the default stack", () => {
  expect(checkStack(stack)).toEqual([]);
});

describe("platform pieces the issue names", () => {
  const one = (type: string) => {
    const list = resources(stack, type);
    expect(list).toHaveLength(1);
    return list[0];
  };

  test("two public subnets in two different availability zones, routed to an internet gateway", () => {
    const subnets = resources(stack, "aws_subnet").map(([, s]) => s);
    expect(subnets).toHaveLength(2);
    const zones = Object.keys(stack.data.aws_availability_zones);
    expect(zones).toHaveLength(1);
    expect(subnets.map((s) => s.availability_zone)).toEqual([0, 1].map((i) => `\${element(data.aws_availability_zones.${zones[0]}.names, ${i})}`));
    const [, route] = one("aws_route");
    expect(route.destination_cidr_block).toBe("0.0.0.0/0");
    expect(route.gateway_id).toBe(ref(one("aws_internet_gateway")[0]));
  });

  test("cluster offers FARGATE and FARGATE_SPOT", () => {
    expect(one("aws_ecs_cluster_capacity_providers")[1].capacity_providers).toEqual(["FARGATE", "FARGATE_SPOT"]);
  });

  test("log group retention comes from the config, for container and function logs", () => {
    const honeynetLogs = resources(stack, "aws_cloudwatch_log_group").filter(([, g]) => tagOf(g, "lure:component") === "logs");
    expect(honeynetLogs.map(([, g]) => [g.name, g.retention_in_days])).toEqual([["/lure/honeynet", 30]]);
    const s = synthAwsHoneynet(configWith((c) => (c.honeynet.logRetentionDays = 90)));
    expect(resources(s, "aws_cloudwatch_log_group").map(([, g]) => g.retention_in_days)).toEqual([90, 90, 90]);
  });

  test("T-Pot's hpfeeds placeholders (a dummy secret) are not passed to containers; real settings are", () => {
    const placeholder = { HPFEEDS_SERVER: "hpfeeds.example.com", HPFEEDS_SECRET: "pass", SERVERID: "id" };
    expect(honeypotEnvironment(placeholder)).toEqual({ SERVERID: "id" });
    const real = { HPFEEDS_SERVER: "feed.internal.example.net.lab", HPFEEDS_IDENT: "x" };
    expect(honeypotEnvironment(real)).toEqual(real);
  });

  test("Elasticsearch: single node, no memory lock, no mmap, data on EFS, replaced stop-first", () => {
    const es = services.find(([, s]) => s.name === "lure-elasticsearch")![1];
    const td = deref(stack, `\${${es.task_definition.slice(2, -1)}}`)[1];
    const env = Object.fromEntries(containersOf(td)[0].environment.map((e: Json) => [e.name, e.value]));
    expect(env).toMatchObject({ "discovery.type": "single-node", "bootstrap.memory_lock": "false", "node.store.allow_mmap": "false" });
    expect(containersOf(td)[0].mountPoints).toEqual([{ sourceVolume: "data", containerPath: "/usr/share/elasticsearch/data", readOnly: false }]);
    // Two tasks must never share the data directory (node lock): stop the old one first.
    expect([es.deployment_minimum_healthy_percent, es.deployment_maximum_percent]).toEqual([0, 100]);
    const ls = services.find(([, s]) => s.name === "lure-logstash")![1];
    expect([ls.deployment_minimum_healthy_percent, ls.deployment_maximum_percent]).toEqual([0, 100]);
    // Honeypots keep ECS's start-first default: a rotation never leaves a gap.
    expect(serviceOf("cowrie").deployment_minimum_healthy_percent).toBeUndefined();
  });

  test("Cloud Map: a private namespace in the VPC, the Elastic services registered, and the VPC searches it", () => {
    const [nsAddr, ns] = one("aws_service_discovery_private_dns_namespace");
    expect(ns.name).toBe("lure-honeynet.internal");
    const registered = resources(stack, "aws_service_discovery_service").map(([, d]) => [d.name, d.dns_config.namespace_id]);
    expect(registered.sort()).toEqual([["elasticsearch", ref(nsAddr)], ["kibana", ref(nsAddr)], ["logstash", ref(nsAddr)]]);
    expect(one("aws_vpc_dhcp_options")[1].domain_name).toBe("lure-honeynet.internal");
  });

  test("EFS file system policy denies insecure transport, root access and mounts outside access points", () => {
    const doc = JSON.parse(one("aws_efs_file_system_policy")[1].policy);
    const bySid = Object.fromEntries(doc.Statement.map((s: Json) => [s.Sid, s]));
    expect(doc.Statement.every((s: Json) => s.Effect === "Deny")).toBe(true);
    expect(bySid.DenyUnencryptedTransport.Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    expect(bySid.DenyRootAccess.Action).toBe("elasticfilesystem:ClientRootAccess");
    expect(bySid.DenyMountsOutsideAccessPoints.Condition).toEqual({ Null: { "elasticfilesystem:AccessPointArn": "true" } });
  });

  test("Kibana's service waits for the listener (ECS rejects a target group without one)", () => {
    const kibana = services.find(([, s]) => s.name === "lure-kibana")![1];
    expect(kibana.depends_on).toEqual(expect.arrayContaining([one("aws_lb_listener")[0]]));
  });

  test("local state lives at the project root, outside cdktf.out (which synth may delete)", () => {
    expect(stack.terraform.backend.local.path).toBe("../../../terraform.aws-honeynet.tfstate");
  });
});

/** Validation of the default config with `change` applied (the problems, not a thrown error). */
const raw = (change: (c: Json) => void) => {
  const c = defaultConfigInput();
  change(c);
  return validateConfig(c);
};

describe("image repositories: an empty repository at the first deploy", () => {
  const withRepo = synthAwsHoneynet(
    configWith((c) => {
      c.honeynet.imageRepositories = ["cowrie", "medpot"];
      c.honeynet.overrides = { medpot: { imageTag: "mine-2" } };
    }),
  );
  const svc = (name: string) => resources(withRepo, "aws_ecs_service").find(([, s]) => tagOf(s, "lure:honeypot") === name)![1];
  const image = (name: string) => containersOf(deref(withRepo, svc(name).task_definition)[1]).find((c) => c.name === name)!.image as string;
  const [repoAddr, repo] = resources(withRepo, "aws_ecr_repository").find(([, r]) => r.name === "lure/cowrie")!;

  test("a honeypot pulling from lure's repository starts with no task, and Terraform leaves its count to you", () => {
    expect(svc("cowrie").desired_count).toBe(0);
    expect(svc("cowrie").lifecycle).toEqual({ ignore_changes: ["desired_count"] });
    expect(svc("medpot").desired_count).toBe(0);
    // Every other service starts at once and stays Terraform's.
    for (const [, s] of resources(withRepo, "aws_ecs_service").filter(([, s]) => !["cowrie", "medpot"].includes(tagOf(s, "lure:honeypot") ?? ""))) {
      expect(s.desired_count).toBe(1);
      expect(s.lifecycle).toBeUndefined();
    }
  });

  test("tags are immutable; the image runs the catalog's tag, or overrides.<name>.imageTag for a new version", () => {
    expect(repo.image_tag_mutability).toBe("IMMUTABLE");
    expect(image("cowrie")).toBe(`${ref(repoAddr, "repository_url")}:24.04.1`);
    expect(image("medpot")).toMatch(/:mine-2$/);
  });

  test("the output says how to push and then start each one", () => {
    const out = withRepo.output.image_repositories;
    expect(Object.keys(out.value).sort()).toEqual(["cowrie", "medpot"]);
    expect(out.value.cowrie.image).toBe(image("cowrie"));
    expect(out.value.cowrie.push).toContain(`docker push ${image("cowrie")}`);
    expect(out.value.cowrie.start).toMatch(/aws ecs update-service --region eu-west-2 --cluster .* --service lure-hp-cowrie --desired-count 1$/);
    expect(synthAwsHoneynet().output.image_repositories).toBeUndefined();
  });

  test("an imageTag without a repository, or with an image, is refused", () => {
    const noRepo = raw((c) => (c.honeynet.overrides = { cowrie: { imageTag: "v2" } }));
    expect(noRepo.ok ? [] : noRepo.problems.map((p) => p.path)).toEqual(["honeynet.overrides.cowrie.imageTag"]);
    const both = raw((c) => {
      c.honeynet.imageRepositories = ["cowrie"];
      c.honeynet.overrides = { cowrie: { imageTag: "v2", image: "ghcr.io/me/cowrie:1" } };
    });
    expect(both.ok ? [] : both.problems.map((p) => p.message)).toEqual([expect.stringContaining("has no effect with image")]);
  });
});

describe("dashboard over plain HTTP only by explicit opt-in (Kibana has no login)", () => {
  test("the default config says so, visibly", () => {
    expect(JSON.parse(readFileSync(join(ROOT, "lure.config.json"), "utf8")).honeynet.dashboard.allowPlaintext).toBe(true);
  });

  test("no certificate and no opt-in is refused with the way out", () => {
    const r = raw((c) => delete c.honeynet.dashboard.allowPlaintext);
    expect(r.ok ? [] : r.problems).toEqual([{ path: "honeynet.dashboard.certificateArn", message: expect.stringContaining("Kibana has no login of its own") }]);
    expect(r.ok ? "" : r.problems[0].message).toContain("honeynet.dashboard.allowPlaintext: true");
    expect(r.ok ? "" : r.problems[0].message).toContain("HTTPS without a domain");
  });

  test("the opted-in HTTP listener carries the opt-in tag; an HTTPS dashboard has none", () => {
    const [, http] = resources(stack, "aws_lb_listener").find(([, l]) => tagOf(l, "lure:component") === "dashboard")!;
    expect(http).toMatchObject({ protocol: "HTTP", port: 80 });
    expect(tagOf(http, "lure:plaintext")).toBe("accepted");
    // AWS alone: the Azure dashboard has no HTTPS yet and Google Cloud's needs a domain, so with either configured plain HTTP must be accepted too.
    const tls = synthAwsHoneynet(
      configWith((c) => {
        delete c.clouds.azure;
        delete c.clouds.gcp;
        c.honeynet.dashboard = { allowCidrs: ["198.18.0.0/15"], certificateArn: "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234" };
      }),
    );
    const listeners = resources(tls, "aws_lb_listener");
    expect(listeners.map(([, l]) => [l.protocol, tagOf(l, "lure:plaintext")]).sort()).toEqual([["HTTP", undefined], ["HTTPS", undefined]]);
    expect(checkStack(tls)).toEqual([]);
  });

  test("props: the same rule", () => {
    expect(honeynetPropsProblems({ honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.18.0.0/15"] } }).map((p) => p.path)).toEqual(["dashboard.certificateArn"]);
    expect(honeynetPropsProblems({ honeypots: ["cowrie"], dashboard: { allowCidrs: ["198.18.0.0/15"], allowPlaintext: true } })).toEqual([]);
  });
});

describe("flow logs of the honeynet (opt-in research data)", () => {
  test("off by default: no flow log, no log group for it", () => {
    expect(resources(stack, "aws_flow_log")).toEqual([]);
    expect(resources(stack, "aws_cloudwatch_log_group").map(([, g]) => g.name)).not.toContain("/lure/honeynet/flow-logs");
  });

  test("on: the whole VPC, every packet accepted or rejected, in the custom format, kept for logRetentionDays", () => {
    const on = synthAwsHoneynet(configWith((c) => { c.honeynet.flowLogs = true; c.honeynet.logRetentionDays = 90; }));
    const [logs] = resources(on, "aws_flow_log");
    expect(resources(on, "aws_flow_log")).toHaveLength(1);
    const [vpcAddr] = resources(on, "aws_vpc");
    expect(logs[1]).toMatchObject({ vpc_id: ref(vpcAddr[0]), traffic_type: "ALL", max_aggregation_interval: 600, log_destination_type: "cloud-watch-logs" });
    expect(logs[1].log_format).toContain("$${pkt-srcaddr}");
    const [groupAddr, group] = deref(on, logs[1].log_destination);
    expect(group).toMatchObject({ name: "/lure/honeynet/flow-logs", retention_in_days: 90 });
    // The delivery role may write only to that group.
    const [roleAddr] = deref(on, logs[1].iam_role_arn);
    const [, policy] = resources(on, "aws_iam_role_policy").find(([, p]) => p.role === ref(roleAddr))!;
    expect(JSON.parse(policy.policy).Statement).toEqual([
      { Sid: "DeliverFlowLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [`${ref(groupAddr, "arn")}:*`] },
    ]);
    expect(checkStack(on)).toEqual([]);
  });
});

test("no hive input without honeynet.analytics.hive (one Elastic stack per cloud)", () => {
  const hiveParts = ["aws_lb", "aws_lb_listener", "aws_lb_target_group", "aws_secretsmanager_secret", "aws_ecs_service", "aws_security_group", "aws_iam_role"]
    .flatMap((t) => resources(stack, t))
    .filter(([a, r]) => a.includes("Hive") || String(r.name ?? "").includes("hive"));
  expect(hiveParts).toEqual([]);
  expect(stack.output.hive_endpoint).toBeUndefined();
});

describe("T-Pot's attack map (opt-in, HTTPS only)", () => {
  const CERT = "arn:aws:acm:eu-west-2:123456789012:certificate/abcd-1234";
  const withMap = synthAwsHoneynet(configWith((c) => ((c.honeynet.dashboard.certificateArn = CERT), (c.honeynet.attackMap = true))));
  const mapTask = () => resources(withMap, "aws_ecs_task_definition").find(([, t]) => t.family === "lure-attack-map")![1];

  test("off by default: no map task, no 64299 anywhere", () => {
    expect(resources(stack, "aws_ecs_task_definition").some(([, t]) => t.family === "lure-attack-map")).toBe(false);
    expect(resources(stack, "aws_lb_listener").some(([, l]) => l.port === 64299)).toBe(false);
    expect(Object.keys(stack.output ?? {}).filter((k) => k.includes("attack_map"))).toEqual([]);
    expect(Object.keys(stack.output ?? {}).some((k) => k.includes("dashboard_url"))).toBe(true);
  });

  test("T-Pot's three containers of the catalog's release, as T-Pot runs them; the task answers as map_redis", () => {
    const containers = containersOf(mapTask());
    expect(containers.map((c) => [c.name, c.image, c.readonlyRootFilesystem])).toEqual([
      ["map_redis", `ghcr.io/telekom-security/redis:${TPOT.source.version}`, true],
      ["map_data", `ghcr.io/telekom-security/map:${TPOT.source.version}`, false],
      ["map_web", `ghcr.io/telekom-security/map:${TPOT.source.version}`, false],
    ]);
    const env = (c: Json) => Object.fromEntries(c.environment.map((e: Json) => [e.name, e.value]));
    expect(containers.map(env)).toEqual([
      {},
      { MAP_COMMAND: "DataServer_v2.py", PYTHONUNBUFFERED: "1", TPOT_ATTACKMAP_TEXT: "ENABLED", TZ: "UTC" },
      { MAP_COMMAND: "AttackMapServer.py", PYTHONUNBUFFERED: "1" },
    ]);
    // Stop-first: one task at a time answers as map_redis.
    const [, svc] = resources(withMap, "aws_ecs_service").find(([, s]) => s.name === "lure-attack-map")!;
    expect([svc.deployment_minimum_healthy_percent, svc.deployment_maximum_percent]).toEqual([0, 100]);
    expect(containers.map((c) => c.portMappings)).toEqual([[], [], [{ containerPort: 64299, hostPort: 64299, protocol: "tcp" }]]);
    expect(resources(withMap, "aws_service_discovery_service").map(([, d]) => d.name)).toContain("map_redis");
  });

  test("served on HTTPS 64299 of the dashboard ALB to the allow-list only; the map admits the ALB alone and reaches Elasticsearch", () => {
    const [[, listener]] = resources(withMap, "aws_lb_listener").filter(([, l]) => l.port === 64299);
    expect(listener).toMatchObject({ protocol: "HTTPS", certificate_arn: CERT, ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06" });
    const albSgRef = ref(resources(withMap, "aws_security_group").find(([, g]) => g.name === "lure-dashboard")![0]);
    const mapIngress = resources(withMap, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.security_group_id === albSgRef && r.from_port === 64299);
    expect(mapIngress.map(([, r]) => r.cidr_ipv4)).toEqual(["203.0.113.0/24"]);
    const [, svc] = resources(withMap, "aws_ecs_service").find(([, s]) => s.name === "lure-attack-map")!;
    const mapSg = svc.network_configuration.security_groups[0];
    const rules = resources(withMap, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.security_group_id === mapSg).map(([, r]) => [r.from_port, r.referenced_security_group_id ?? r.cidr_ipv4]);
    expect(rules).toEqual([[64299, albSgRef]]);
    const esIngress = resources(withMap, "aws_vpc_security_group_ingress_rule").filter(([, r]) => r.referenced_security_group_id === mapSg).map(([, r]) => r.from_port);
    expect(esIngress).toEqual([9200]);
    expect(svc.load_balancer[0]).toMatchObject({ container_name: "map_web", container_port: 64299 });
    expect(Object.entries(withMap.output as Json).find(([k]) => k.includes("attack_map_url"))![1].value).toMatch(/^https:\/\/\$\{aws_lb\..+\.dns_name\}:64299$/);
    expect(checkStack(withMap)).toEqual([]);
  });

  test("refused without HTTPS, with every other problem of the config", () => {
    const r = validateConfig({ ...defaultConfigInput(), honeynet: { ...defaultConfigInput().honeynet, attackMap: true } });
    expect(r.ok ? [] : r.problems).toEqual([{ path: "honeynet.attackMap", message: expect.stringContaining("true needs HTTPS: T-Pot's attack map connects over wss:// only") }]);
  });
});
