/**
 * The ECB euro reference-rates XML (daily and hist-90d forms): days, each with the
 * foreign-currency-per-EUR rates and the lines they are written on. Values are checked
 * in normalise/fx.ts; here only the document's shape.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { InputError } from "../errors.ts";
import { lineIndex, stripBom, type RecordUnit } from "./text.ts";

export type EcbDay = { time: unknown; line: number; rates: RecordUnit[] };

type Node = Record<string, unknown>;
const META = XMLParser.getMetaDataSymbol();

export function parseEcb(location: string, text: string): EcbDay[] {
  const body = stripBom(text);
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new InputError(location, valid.err.line, undefined, `not valid XML: ${valid.err.msg}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    removeNSPrefix: true,
    parseAttributeValue: false, // rates stay text: no floats
    parseTagValue: false,
    isArray: (name) => name === "Cube",
    captureMetaData: true,
  });
  const doc = parser.parse(body) as Node;
  const lineOf = lineIndex(body);
  const at = (node: Node) => lineOf((node[META as unknown as string] as { startIndex?: number } | undefined)?.startIndex ?? 0);

  const envelope = doc.Envelope as Node | undefined;
  const outer = (envelope?.Cube as Node[] | undefined)?.[0];
  const days = outer?.Cube as Node[] | undefined;
  if (!days?.length) throw new InputError(location, undefined, "Cube", "no reference rates (not an ECB eurofxref file)");
  return days.map((day) => ({
    time: day["@time"],
    line: at(day),
    rates: ((day.Cube as Node[] | undefined) ?? []).map((cube, i) => ({
      line: at(cube),
      path: "",
      seq: i + 1,
      fields: { currency: cube["@currency"], rate: cube["@rate"] },
    })),
  }));
}
