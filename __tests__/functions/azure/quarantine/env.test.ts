import { azureQuarantineEnv, parseArmId } from "../../../../functions/azure/quarantine/env";
import { APP_ID, CONFIG, FLOW_URL, GATEWAY_ID, RG, SUB, VARS } from "./fakes";

const FN = "lure quarantine functions";

describe("azureQuarantineEnv", () => {
  test("the deployment's settings: every value read, ARM ids split", () => {
    const env = azureQuarantineEnv(VARS, FN);
    expect(env).toEqual({
      config: CONFIG,
      clientId: "11111111-2222-3333-4444-555555555555",
      tableUrl: "https://lurestate.table.core.windows.net/lurequarantine",
      gateway: { id: GATEWAY_ID, subscriptionId: SUB, resourceGroup: RG, name: "lure-agw" },
      rewriteRuleSet: "lure-quarantine",
      copiesPool: "lure-copies",
      rewritePath: "/lure-copies{var_uri_path}",
      copiesApp: { id: APP_ID, subscriptionId: SUB, resourceGroup: RG, name: "lure-copies" },
      flowLogUrl: FLOW_URL,
    });
  });

  test("a trailing / of the flow-log URL is dropped", () => {
    expect(azureQuarantineEnv({ ...VARS, LURE_FLOW_LOG_URL: `${FLOW_URL}/` }, FN).flowLogUrl).toBe(FLOW_URL);
  });

  test("every bad setting is reported at once, each with its name and what is expected", () => {
    const bad = {
      LURE_QUARANTINE: JSON.stringify({ ...CONFIG, steering: { ...CONFIG.steering, cidrsPerRule: 6 } }),
      LURE_CLIENT_ID: "not-a-guid",
      LURE_TABLE_URL: "https://lurestate.blob.core.windows.net/lurequarantine",
      LURE_GATEWAY_ID: APP_ID,
      LURE_REWRITE_RULE_SET: "",
      LURE_COPIES_POOL: " ",
      LURE_REWRITE_PATH: "lure-copies",
      LURE_COPIES_APP_ID: `/subscriptions/not-a-guid/resourceGroups/${RG}/providers/Microsoft.App/containerApps/lure-copies`,
      LURE_FLOW_LOG_URL: "https://lureflow.blob.core.windows.net/other-container",
    };
    let message = "";
    try {
      azureQuarantineEnv(bad, FN);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.startsWith(`${FN}: invalid environment: `)).toBe(true);
    const problems = message.slice(`${FN}: invalid environment: `.length).split("; ");
    expect(problems).toEqual([
      "LURE_QUARANTINE.steering.cidrsPerRule is 6 (expected an integer from 1 to 5)",
      'LURE_CLIENT_ID is "not-a-guid" (expected the client id (a GUID) of the functions\' managed identity)',
      `LURE_TABLE_URL is "https://lurestate.blob.core.windows.net/lurequarantine" (expected the state table's URL, https://<account>.table.core.windows.net/<table>)`,
      `LURE_GATEWAY_ID is "${APP_ID}" (expected the Application Gateway, an ARM id /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/applicationGateways/<name>)`,
      "LURE_REWRITE_RULE_SET is empty (expected the name of the gateway's rewrite rule set lure manages)",
      "LURE_COPIES_POOL is empty (expected the name of the copies' backend pool)",
      'LURE_REWRITE_PATH is "lure-copies" (expected the path lure\'s rules rewrite to, starting with /)',
      `LURE_COPIES_APP_ID is "${bad.LURE_COPIES_APP_ID}" (expected the copies' Container App, an ARM id /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.App/containerApps/<name>)`,
      'LURE_FLOW_LOG_URL is "https://lureflow.blob.core.windows.net/other-container" (expected the flow log\'s container URL, https://<account>.blob.core.windows.net/insights-logs-flowlogflowevent)',
      "LURE_FLOW_QUEUE_NAME is not set (expected the name of the queue Event Grid writes the flow log's BlobCreated events to)",
      "LURE_MODE_SCHEDULE is not set (expected the mode function's NCRONTAB schedule (six fields))",
    ]);
  });

  test("nothing set: one problem per setting, LURE_QUARANTINE first", () => {
    expect(() => azureQuarantineEnv({}, FN)).toThrow(
      new RegExp(
        "^lure quarantine functions: invalid environment: LURE_QUARANTINE is not set .*; LURE_CLIENT_ID is not set .*; LURE_TABLE_URL is not set .*; LURE_GATEWAY_ID is not set .*; " +
          "LURE_REWRITE_RULE_SET is not set .*; LURE_COPIES_POOL is not set .*; LURE_REWRITE_PATH is not set .*; LURE_COPIES_APP_ID is not set .*; LURE_FLOW_LOG_URL is not set .*; " +
          "LURE_FLOW_QUEUE_NAME is not set .*; LURE_MODE_SCHEDULE is not set [^;]*$",
      ),
    );
  });

  test("steering beyond a rewrite rule set's 40 rules is refused; LURE_QUARANTINE that is not JSON is one problem", () => {
    const wide = JSON.stringify({ ...CONFIG, steering: { ...CONFIG.steering, ruleQuota: 41, albRuleLimit: 100 } });
    expect(() => azureQuarantineEnv({ ...VARS, LURE_QUARANTINE: wide }, FN)).toThrow(
      `${FN}: invalid environment: LURE_QUARANTINE.steering.ruleQuota is 41 (expected at most 40, the rules of a rewrite rule set); LURE_QUARANTINE.steering.albRuleLimit is 100 (expected at most 40, the rules of a rewrite rule set)`,
    );
    expect(() => azureQuarantineEnv({ ...VARS, LURE_QUARANTINE: "{" }, FN)).toThrow(`${FN}: invalid environment: LURE_QUARANTINE is not JSON (expected the Quarantine settings as JSON)`);
  });

  test.each([
    ["a table URL with a second segment", { LURE_TABLE_URL: "https://lurestate.table.core.windows.net/a/b" }, "LURE_TABLE_URL"],
    ["an http table URL", { LURE_TABLE_URL: "http://lurestate.table.core.windows.net/t" }, "LURE_TABLE_URL"],
    ["a flow-log URL with a query", { LURE_FLOW_LOG_URL: `${FLOW_URL}?sv=1` }, "LURE_FLOW_LOG_URL"],
    ["a gateway id with a child resource", { LURE_GATEWAY_ID: `${GATEWAY_ID}/rewriteRuleSets/x` }, "LURE_GATEWAY_ID"],
  ])("%s is refused", (_name, over, name) => {
    expect(() => azureQuarantineEnv({ ...VARS, ...over }, FN)).toThrow(new RegExp(`invalid environment: ${name} is "`));
  });
});

describe("parseArmId", () => {
  test("provider type compared without case, names kept as written", () => {
    expect(parseArmId(GATEWAY_ID.replace("Microsoft.Network/applicationGateways", "microsoft.network/ApplicationGateways"), "Microsoft.Network/applicationGateways")).toMatchObject({ resourceGroup: RG, name: "lure-agw" });
    expect(parseArmId(GATEWAY_ID, "Microsoft.App/containerApps")).toBeUndefined();
  });
});
