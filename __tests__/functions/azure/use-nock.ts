/** Kept apart from fakes.ts: requiring nock patches node:http for the whole jest worker, so only files that restore it load it. */
import nock from "nock";

/**
 * nock for the tests that run a real SDK pipeline: no connection leaves the process, every
 * interceptor must be used (checked after each test), and nock is restored after the file (it
 * patches node:http for the whole jest worker).
 */
export function useNock(): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });
}
