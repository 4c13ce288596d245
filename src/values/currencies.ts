/**
 * ISO 4217 currency codes. Price sheets accept only codes in circulation; fund codes,
 * precious metals and test codes are not currencies a price is listed in. FX files may
 * also carry codes withdrawn since (the ECB history has HRK, BGN, CYP...): a rate is a
 * fact of its date.
 */
export const ACTIVE_CURRENCIES = [
  "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD", "BIF",
  "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP",
  "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
  "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD",
  "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK",
  "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
  "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP",
  "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
  "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD",
  "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG",
  "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
] as const;

export const WITHDRAWN_CURRENCIES = [
  "BGN", "BYR", "CUC", "CYP", "DEM", "EEK", "FRF", "GRD", "HRK", "ITL", "LTL", "LVL", "MRO", "MTL", "ROL",
  "SIT", "SKK", "SLL", "STD", "TRL", "VEF", "ZMK", "ZWL",
] as const;

const active = new Set<string>(ACTIVE_CURRENCIES);
const known = new Set<string>([...ACTIVE_CURRENCIES, ...WITHDRAWN_CURRENCIES]);

export const isActiveCurrency = (code: string): boolean => active.has(code);
export const isKnownCurrency = (code: string): boolean => known.has(code);

export const UNITS = ["per_token", "per_1k_tokens", "per_1m_tokens"] as const;
export type Unit = (typeof UNITS)[number];
