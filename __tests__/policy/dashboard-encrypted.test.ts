import { dashboardEncrypted } from "../../modules/core/policy/rules/dashboard-encrypted";
import { addresses, stack } from "./fixtures";

const dash = (tags: Record<string, string> = {}) => ({ "lure:component": "dashboard", ...tags });

describe("dashboard-encrypted", () => {
  it("accepts HTTPS, a redirect-only HTTP listener, and plain HTTP with the opt-in tag", () => {
    expect(
      dashboardEncrypted.check(
        stack({
          aws_lb_listener: {
            tls: { protocol: "HTTPS", port: 443, default_action: [{ type: "forward" }], tags: dash() },
            redirect: { protocol: "HTTP", port: 80, default_action: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", status_code: "HTTP_301" } }], tags: dash() },
            accepted: { protocol: "HTTP", port: 80, default_action: [{ type: "forward" }], tags: dash({ "lure:plaintext": "accepted" }) },
            other: { protocol: "HTTP", port: 80, default_action: [{ type: "forward" }], tags: { "lure:component": "quarantine" } },
          },
        }),
      ),
    ).toEqual([]);
  });

  it("flags a dashboard listener that forwards plain HTTP without the opt-in", () => {
    const v = dashboardEncrypted.check(
      stack({
        aws_lb_listener: {
          plain: { protocol: "HTTP", port: 80, default_action: [{ type: "forward" }], tags: dash() },
          wrongTag: { port: 80, default_action: [{ type: "forward" }], tags: dash({ "lure:plaintext": "yes" }) },
          toHttp: { protocol: "HTTP", port: 80, default_action: [{ type: "redirect", redirect: { port: "8080", protocol: "HTTP", status_code: "HTTP_301" } }], tags: dash() },
        },
      }),
    );
    expect(addresses(v)).toEqual(["aws_lb_listener.plain", "aws_lb_listener.wrongTag", "aws_lb_listener.toHttp"]);
    expect(v[0].message).toContain("allowPlaintext");
  });
});
