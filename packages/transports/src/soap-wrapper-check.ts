/** A SOAP mapping whose fields sit where the WSDL expects one element wrapping them (e.g. GravarClientes' dadosGeraisCliente). */
export interface MissingSoapWrapper {
  /** The element of `parameters` the fields belong in, as the WSDL names it. */
  wrapper: string;
  /** The mapped top-level fields that are the wrapper's children, not `parameters`' own. */
  fields: string[];
}

type Described = Record<string, unknown>;

// node-soap's describe() marks a repeatable element `name[]` and adds these two keys beside the elements of a type.
const NOT_ELEMENTS = new Set(['targetNSAlias', 'targetNamespace']);

/** An input type's elements by name (without the `[]` of a repeatable one): a type (object) or a simple type's name. */
function elementsOf(described: Described): Map<string, unknown> {
  return new Map(
    Object.entries(described)
      .filter(([name]) => !NOT_ELEMENTS.has(name))
      .map(([name, type]) => [name.replace(/\[\]$/, ''), type]),
  );
}

const isType = (value: unknown): value is Described => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The described input of one operation (its `parameters` element), from node-soap's client.describe(). */
export function describedParameters(description: unknown, operation: string): Described | undefined {
  if (!isType(description)) return undefined;
  for (const ports of Object.values(description)) {
    if (!isType(ports)) continue;
    for (const operations of Object.values(ports)) {
      const input = isType(operations) && isType(operations[operation]) ? operations[operation].input : undefined;
      if (isType(input) && isType(input.parameters)) return input.parameters;
    }
  }
  return undefined;
}

/**
 * The wrapper a mapping left out: its top-level fields are not elements of `parameters` but of one of its complex
 * elements (the one holding most of them). soap sends such fields as given and the ERP ignores them (Senior G5 answers
 * "OK" with no customer written), so only a look at the WSDL tells. Undefined when the body fits, or no element does.
 */
export function missingSoapWrapper(parameters: Described, body: Record<string, unknown>): MissingSoapWrapper | undefined {
  const elements = elementsOf(parameters);
  const misplaced = Object.keys(body).filter((field) => !elements.has(field));
  if (misplaced.length === 0) return undefined;
  let best: MissingSoapWrapper | undefined;
  for (const [name, type] of elements) {
    if (!isType(type)) continue;
    const children = elementsOf(type);
    const fields = misplaced.filter((field) => children.has(field));
    if (fields.length > (best?.fields.length ?? 0)) best = { wrapper: name, fields };
  }
  return best;
}
