import { eachLimited, mapLimited } from "../../../functions/core/limited";

/** A call that records how many run at once and finishes after the others were started. */
function tracked() {
  let running = 0;
  let most = 0;
  const call = async (n: number) => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setImmediate(r));
    running--;
    return n * 10;
  };
  return { call, most: () => most };
}

test("mapLimited keeps the items' order and never runs more than the limit at once", async () => {
  const t = tracked();
  expect(await mapLimited([1, 2, 3, 4, 5, 6, 7], 3, t.call)).toEqual([10, 20, 30, 40, 50, 60, 70]);
  expect(t.most()).toBe(3);
  expect(await mapLimited([], 3, t.call)).toEqual([]);
});

test("eachLimited calls every item once and rejects with the first failure", async () => {
  const seen: number[] = [];
  await eachLimited([1, 2, 3], 2, async (n) => void seen.push(n));
  expect(seen.sort()).toEqual([1, 2, 3]);
  await expect(eachLimited([1, 2, 3], 2, async (n) => {
    if (n === 2) throw new Error("throttled");
  })).rejects.toThrow("throttled");
});
