// Currencies (docs/api.md "Money (v1.1)"): ISO 4217 codes in current use, each with its minor-unit exponent, taken
// from the ICU data that Node's Intl carries, so no table is typed by hand and a Node upgrade brings ISO's
// changes. Intl.supportedValuesOf('currency') lists the codes ICU knows as current tender; two kinds of entry
// in it are not money anyone deposits, and are left out (docs/security.md "Currencies"):
// - a currency ICU still lists but whose English name closes a year range, e.g. SLL "Sierra Leonean Leone
//   (1964—2022)", ZWL "Zimbabwean Dollar (2009–2024)": replaced, kept by ICU for old records;
// - X-codes that are units of account rather than currencies, XDR (IMF special drawing rights) and XSU (the
//   ALBA sucre): told apart from the real X-currencies (XAF, XOF, XPF, XCD, XCG) by having no symbol of their
//   own (Intl formats them with the bare code).
// Fund and historic codes that ISO lists but ICU does not offer (BOV, CLF, USN, DEM, XAU, XTS …) are refused
// because they are not in the list at all.
// The exponent is Intl's maximumFractionDigits (CLDR's digits): 2 for USD, 0 for JPY, 3 for KWD. For a few
// currencies CLDR shows fewer digits than ISO 4217's minor unit (e.g. HUF, IDR, COP 0 where ISO says 2); the
// exponent only tells clients how to display minor units, and it never changes for a stored amount.

const HISTORIC_NAME = /\(\d{4}\s*[–—-]\s*\d{4}\)/;

function inUseCurrencies(): ReadonlyMap<string, number> {
  const names = new Intl.DisplayNames('en', { type: 'currency' });
  const exponents = new Map<string, number>();
  for (const code of Intl.supportedValuesOf('currency')) {
    if (HISTORIC_NAME.test(names.of(code) ?? '')) continue;
    const format = new Intl.NumberFormat('en', { style: 'currency', currency: code });
    if (code.startsWith('X') && format.format(1).includes(code)) continue;
    exponents.set(code, format.resolvedOptions().maximumFractionDigits ?? 2);
  }
  return exponents;
}

const IN_USE = inUseCurrencies();

/** Whether `code` is an ISO 4217 currency in current use (upper case, as docs/api.md writes it). */
export function isCurrencyInUse(code: string): boolean {
  return IN_USE.has(code);
}

/** Every currency in current use, in code order. */
export function currenciesInUse(): string[] {
  return [...IN_USE.keys()].sort();
}

/**
 * Digits after the decimal point in the currency's usual notation: an amount of "12500" minor units is 125.00
 * in a currency of exponent 2. Instances created before currencies were checked may hold a code that is not in
 * use any more; Intl still answers for any well-formed code (2 when it knows nothing better).
 */
export function currencyExponent(code: string): number {
  return (
    IN_USE.get(code) ??
    new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ??
    2
  );
}
