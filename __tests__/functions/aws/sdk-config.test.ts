/**
 * The client settings against a server that accepts connections and never answers. In
 * @smithy/node-http-handler 4.x `requestTimeout` alone only logs a warning; `throwOnRequestTimeout`
 * is what turns it into an error (which the SDK retries, up to `maxAttempts`).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SDK_MAX_ATTEMPTS, SDK_REQUEST_HANDLER, sdkClientConfig } from "../../../functions/aws/sdk-config";

let server: Server;
let endpoint: string;
let requests = 0;

beforeAll(async () => {
  server = createServer(() => void requests++); // never answers
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  requests = 0;
  // The SDK warns on stderr about the requestTimeout breach in the second test.
  jest.spyOn(console, "warn").mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
const command = () => new GetQueueAttributesCommand({ QueueUrl: `${endpoint}/111122223333/q`, AttributeNames: ["ApproximateNumberOfMessages"] });

test("the settings: 3 attempts, 3 s to connect, 5 s per request and per idle socket, and request timeouts throw", () => {
  expect(sdkClientConfig()).toEqual({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3000, requestTimeout: 5000, throwOnRequestTimeout: true, socketTimeout: 5000 },
  });
  expect(SDK_MAX_ATTEMPTS).toBe(3);
  // A fresh object per client.
  expect(sdkClientConfig().requestHandler).not.toBe(sdkClientConfig().requestHandler);
});

test("with these options a hanging request fails with TimeoutError after each attempt's requestTimeout", async () => {
  const config = sdkClientConfig();
  const client = new SQSClient({ ...config, requestHandler: { ...config.requestHandler, requestTimeout: 200, socketTimeout: 200 }, region: "eu-west-1", endpoint, credentials });
  const started = Date.now();

  await expect(client.send(command())).rejects.toMatchObject({ name: "TimeoutError" });

  expect(requests).toBe(SDK_MAX_ATTEMPTS);
  expect(Date.now() - started).toBeLessThan(5000);
  client.destroy();
});

test("without throwOnRequestTimeout, requestTimeout does not end the request", async () => {
  const client = new SQSClient({
    maxAttempts: 1,
    requestHandler: { connectionTimeout: SDK_REQUEST_HANDLER.connectionTimeout, requestTimeout: 100 },
    region: "eu-west-1",
    endpoint,
    credentials,
  });
  const abort = new AbortController();
  let settled = false;
  const pending = client.send(command(), { abortSignal: abort.signal }).finally(() => (settled = true));

  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(settled).toBe(false);
  abort.abort();
  await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  client.destroy();
});
