import { describe, expect, it } from "vitest";
import {
  currencyDigits,
  decimalToMicros,
  formatMicros,
  microsToDecimal,
  microsToInput,
  parseMoneyToMicros,
} from "./money";

describe("microsToDecimal", () => {
  it("writes micros as an exact decimal amount", () => {
    expect(microsToDecimal(0)).toBe("0");
    expect(microsToDecimal(1)).toBe("0.000001");
    expect(microsToDecimal(12_340_000)).toBe("12.34");
    expect(microsToDecimal(-5_000_000)).toBe("-5");
    expect(microsToDecimal(9_007_199_254_740_991)).toBe("9007199254.740991");
  });

  it("refuses what is not a safe integer", () => {
    expect(() => microsToDecimal(1.5)).toThrow(RangeError);
  });
});

describe("formatMicros", () => {
  it("formats with the currency's own decimals", () => {
    expect(formatMicros(12_340_000, "USD", "en-US")).toBe("$12.34");
    expect(formatMicros(1_234_567_890_000, "EUR", "en-US")).toBe("€1,234,567.89");
    expect(formatMicros(50_000_000, "EUR", "de-DE").replace(/\s/g, " ")).toBe("50,00 €");
  });

  it("shows JPY without decimals", () => {
    expect(formatMicros(1_500_000_000, "JPY", "en-US")).toBe("¥1,500");
    expect(formatMicros(1_499_500_000, "JPY", "en-US")).toBe("¥1,500");
    expect(formatMicros(250_000, "JPY", "en-US")).toBe("¥0");
  });

  it("rounds half away from zero without floating-point drift", () => {
    // 1.005 is 1.00499999… as a float; from micros it is exact.
    expect(formatMicros(1_005_000, "USD", "en-US")).toBe("$1.01");
    expect(formatMicros(-1_005_000, "USD", "en-US")).toBe("-$1.01");
  });

  it("shows a dash when there is no amount", () => {
    expect(formatMicros(null, "USD")).toBe("—");
    expect(formatMicros(undefined, "USD")).toBe("—");
  });

  it("survives a malformed currency code", () => {
    expect(formatMicros(12_340_000, "??", "en-US")).toBe("12.34 ??");
  });
});

describe("decimalToMicros", () => {
  it("parses typed amounts exactly, with the currency's decimals", () => {
    expect(decimalToMicros("12.5", "USD")).toBe(12_500_000);
    expect(decimalToMicros(" 1,234.56 ", "USD")).toBe(1_234_560_000);
    expect(decimalToMicros("0.29", "EUR")).toBe(290_000);
    expect(decimalToMicros("1500", "JPY")).toBe(1_500_000_000);
    expect(decimalToMicros("1.125", "KWD")).toBe(1_125_000);
  });

  it("refuses more decimals than the currency has, negatives and words", () => {
    expect(decimalToMicros("1.234", "USD")).toBeNull();
    expect(decimalToMicros("1.5", "JPY")).toBeNull();
    expect(decimalToMicros("-3", "USD")).toBeNull();
    expect(decimalToMicros("ten", "USD")).toBeNull();
    expect(decimalToMicros("", "USD")).toBeNull();
  });

  it("knows each currency's decimals", () => {
    expect(currencyDigits("USD")).toBe(2);
    expect(currencyDigits("JPY")).toBe(0);
    expect(currencyDigits("KWD")).toBe(3);
    expect(currencyDigits("??")).toBe(2);
  });
});

describe("parseMoneyToMicros", () => {
  it("reads amounts exactly in the currency's precision", () => {
    expect(parseMoneyToMicros("12.34", "EUR")).toEqual({ ok: true, micros: 12_340_000 });
    expect(parseMoneyToMicros("1,500", "JPY")).toEqual({ ok: true, micros: 1_500_000_000 });
    expect(parseMoneyToMicros(" 0.1 ", "USD")).toEqual({ ok: true, micros: 100_000 });
    expect(parseMoneyToMicros("1.250", "KWD")).toEqual({ ok: true, micros: 1_250_000 });
  });

  it("refuses what is not an amount of that currency", () => {
    expect(parseMoneyToMicros("", "EUR")).toMatchObject({ ok: false, error: "Enter an amount." });
    expect(parseMoneyToMicros("-3", "EUR").ok).toBe(false);
    expect(parseMoneyToMicros("€3", "EUR").ok).toBe(false);
    expect(parseMoneyToMicros("1.5", "JPY")).toMatchObject({ ok: false, error: "JPY has no decimals." });
    expect(parseMoneyToMicros("1.234", "EUR")).toMatchObject({ ok: false, error: "EUR has at most 2 decimals." });
    expect(parseMoneyToMicros("99999999999999", "EUR").ok).toBe(false);
  });
});

describe("microsToInput", () => {
  it("writes micros for an input in the currency's precision", () => {
    expect(microsToInput(12_500_000, "EUR")).toBe("12.50");
    expect(microsToInput(1_500_000_000, "JPY")).toBe("1500");
    expect(currencyDigits("KWD")).toBe(3);
  });
});
