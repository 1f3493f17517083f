import { HONEYPOT_NAMES } from "../../modules/core/catalog";
import { AWS_REGIONS } from "../../modules/core/regions";
import { didYouMean, editDistance, suggest } from "../../modules/core/suggest";

describe("editDistance (optimal string alignment, case-insensitive)", () => {
  it.each([
    ["", "", 0],
    ["", "abc", 3],
    ["abc", "", 3],
    ["abc", "abc", 0],
    ["ABC", "abc", 0],
    ["kitten", "sitting", 3],
    ["flaw", "lawn", 2],
    // adjacent transposition costs 1, not 2
    ["ab", "ba", 1],
    ["cowrei", "cowrie", 1],
    ["eu-wset-2", "eu-west-2", 1],
    ["dionaea", "dionaae", 1],
    // OSA, not full Damerau: a transposed pair cannot be edited again
    ["ca", "abc", 3],
    ["conpot", "go-pot", 2],
  ])("%j → %j: %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe("suggest", () => {
  it.each<[string, readonly string[], string[]]>([
    // a typo
    ["cowrei", HONEYPOT_NAMES, ["cowrie"]],
    ["dionea", HONEYPOT_NAMES, ["dionaea"]],
    ["rdp", HONEYPOT_NAMES, ["rdpy"]],
    // case, `-` and `_` only
    ["Cowrie", HONEYPOT_NAMES, ["cowrie"]],
    ["go_pot", HONEYPOT_NAMES, ["go-pot"]],
    ["CONPOT-IPMI", HONEYPOT_NAMES, ["conpot_ipmi"]],
    // a prefix: the conpot instances, before the mere edit-distance match "go-pot"
    ["conpot", HONEYPOT_NAMES, ["conpot_default", "conpot_guardian_ast", "conpot_IEC104"]],
    ["tanner_", HONEYPOT_NAMES, ["tanner", "tanner_api", "tanner_phpox"]],
    ["heral", HONEYPOT_NAMES, ["heralding"]],
    // closest first
    ["eu-west-22", AWS_REGIONS, ["eu-west-2", "eu-west-1", "eu-west-3"]],
    // nothing close
    ["zzzzzzzz", HONEYPOT_NAMES, []],
    ["kubernetes", HONEYPOT_NAMES, []],
    ["mars-1", AWS_REGIONS, []],
    // prefixes of three letters or fewer are too vague
    ["con", HONEYPOT_NAMES, []],
  ])("%j → %j", (input, known, expected) => {
    expect(suggest(input, known)).toEqual(expected);
  });

  it("returns at most `max` names", () => {
    expect(suggest("conpot", HONEYPOT_NAMES, 5)).toEqual(["conpot_default", "conpot_guardian_ast", "conpot_IEC104", "conpot_ipmi", "conpot_kamstrup_382"]);
    expect(suggest("conpot", HONEYPOT_NAMES, 6)).toEqual(["conpot_default", "conpot_guardian_ast", "conpot_IEC104", "conpot_ipmi", "conpot_kamstrup_382", "go-pot"]);
    expect(suggest("conpot", HONEYPOT_NAMES, 1)).toEqual(["conpot_default"]);
  });

  it.each([
    // the budget is a third of the input's length (at least 1, at most 3)
    ["ab", ["xy"], []],
    ["ab", ["xb"], ["xb"]],
    ["abcdef", ["abxyef"], ["abxyef"]],
    ["abcdef", ["axyzef"], []],
    ["abcdefghijklmnop", ["abcdefghijklmxyz"], ["abcdefghijklmxyz"]],
    ["abcdefghijklmnop", ["abcdefghijkwmxyz"], []],
  ])("edit budget: %j among %j → %j", (input, known, expected) => {
    expect(suggest(input, known)).toEqual(expected);
  });
});

describe("didYouMean", () => {
  it.each([
    ["cowrei", HONEYPOT_NAMES, '; did you mean "cowrie"?'],
    ["eu-west-22", AWS_REGIONS, '; did you mean "eu-west-2" or "eu-west-1" or "eu-west-3"?'],
    ["zzzzzzzz", HONEYPOT_NAMES, ""],
  ])("%j", (input, known, expected) => {
    expect(didYouMean(input, known)).toBe(expected);
  });
});
