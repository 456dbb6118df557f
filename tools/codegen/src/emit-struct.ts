// Emits one encode and one decode function per struct, covering every version with `version` tests (franz-go
// kmsg style), never a copy per version.
//
// Wire rules (Apache Kafka's message README and generator): in flexible versions strings, bytes, records and array
// lengths are compact (uvarint length + 1, 0 for null) and each struct ends with a tagged-fields section; a tagged
// field is written only when it differs from its default; a nullable struct carries an int8 marker (-1 null, 1
// present), inside a tagged field a uvarint (0 null, 1 present); fields absent from a version are skipped when
// encoding and take their default when decoding.
import { and, ifElse, indent, type Lines, localName, negate, objectLiteral, ternary } from './code';
import { StructTypes } from './emit-types';
import type { ElementType, FieldSpec, FieldType, PrimitiveName, StructSpec } from './schema';
import { below, type Cond, intersect, type VersionRange, versionCond } from './versions';

/** The smallest encoding of one array element, so a decoder can reject counts the remaining bytes cannot hold. */
const MIN_SIZE: Partial<Record<PrimitiveName, number>> = { int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8, uuid: 16 };

const stringMethod = (flex: boolean, nullable: boolean, kind: 'String' | 'Bytes'): string =>
  flex ? (nullable ? `compactNullable${kind}` : `compact${kind}`) : nullable ? `nullable${kind}` : kind.toLowerCase();

const arrayLengthMethod = (flex: boolean, nullable: boolean): string =>
  flex ? (nullable ? 'compactNullableArrayLength' : 'compactArrayLength') : nullable ? 'nullableArrayLength' : 'arrayLength';

/** Statements chosen on two conditions (flexible?, nullable?). */
function choose(flexC: Cond, nullC: Cond, make: (flex: boolean, nullable: boolean) => Lines): Lines {
  return ifElse(flexC, ifElse(nullC, make(true, true), make(true, false)), ifElse(nullC, make(false, true), make(false, false)));
}

function chooseExpr(flexC: Cond, nullC: Cond, make: (flex: boolean, nullable: boolean) => string): string {
  return ternary(flexC, ternary(nullC, make(true, true), make(true, false)), ternary(nullC, make(false, true), make(false, false)));
}

export class StructEmitter extends StructTypes {
  // ---- encoding ----

  private flexCond(f: FieldSpec, within: VersionRange): Cond {
    const range = f.flexibleVersions ? intersect(this.msg.flexibleVersions, f.flexibleVersions) : this.msg.flexibleVersions;
    const c = versionCond(range, within);
    return typeof c === 'string' && !f.flexibleVersions ? 'flexible' : c;
  }

  /** Versions where the field is written in the struct body (not as a tagged field). */
  private regularVersions(f: FieldSpec): VersionRange {
    return f.tag === undefined ? f.versions : intersect(f.versions, below(f.taggedVersions.lo));
  }

  private taggedVersionsOf(f: FieldSpec): VersionRange {
    return f.tag === undefined ? intersect(f.versions, below(0)) : intersect(f.versions, f.taggedVersions);
  }

  /** Statements writing `acc`; `nonNull` when the caller already knows it is not null (a tagged field defaulting to null). */
  private writeValue(s: StructSpec, f: FieldSpec, t: FieldType, acc: string, wr: string, within: VersionRange, tagged: boolean, nonNull = false): Lines {
    const flexC = tagged ? true : this.flexCond(f, within);
    const nullC = versionCond(f.nullableVersions, within);
    const notNull = [`throw nullNotAllowed('${s.tsName}.${f.camelName}', version);`];
    if (t.kind === 'primitive') {
      if (t.name === 'string' || t.name === 'bytes') {
        const kind = t.name === 'string' ? 'String' : 'Bytes';
        if (nullC === true || nullC === false) return choose(flexC, nullC, (fl, nu) => [`${wr}.${stringMethod(fl, nu, kind)}(${acc});`]);
        // Nullable in some of these versions: a non-null value encodes the same either way, so only null is checked.
        return [`if (${acc} === null && ${negate(nullC)}) ${notNull[0]}`, ...choose(flexC, true, (fl) => [`${wr}.${stringMethod(fl, true, kind)}(${acc});`])];
      }
      if (t.name === 'records') return choose(flexC, true, (fl) => [`${wr}.${stringMethod(fl, true, 'Bytes')}(${acc});`]);
      return [`${wr}.${t.name}(${acc});`];
    }
    if (t.kind === 'struct') {
      const call = `encode${t.struct.tsName}(${wr}, ${acc}, version);`;
      if (nullC === false) return [call];
      if (nonNull) return [...ifElse(nullC, [tagged ? `${wr}.uvarint(1);` : `${wr}.int8(1);`]), call];
      const marker = (present: boolean): string => (tagged ? `${wr}.uvarint(${present ? 1 : 0});` : `${wr}.int8(${present ? 1 : -1});`);
      return ifElse(`${acc} === null`, ifElse(nullC, [marker(false)], notNull), [...ifElse(nullC, [marker(true)]), call]);
    }
    const elem = this.writeElement(t.element, '_e', wr, flexC);
    const body = [
      ...ifElse(flexC, [`${wr}.uvarint(${acc}.length + 1);`], [`${wr}.int32(${acc}.length);`]),
      ...(elem.length === 1 ? [`for (const _e of ${acc}) ${elem[0]}`] : [`for (const _e of ${acc}) {`, ...indent(elem), '}']),
    ];
    if (nullC === false || nonNull) return body;
    return ifElse(`${acc} === null`, ifElse(nullC, ifElse(flexC, [`${wr}.uvarint(0);`], [`${wr}.int32(-1);`]), notNull), body);
  }

  private writeElement(e: ElementType, acc: string, wr: string, flexC: Cond): Lines {
    if (e.kind === 'struct') return [`encode${e.struct.tsName}(${wr}, ${acc}, version);`];
    if (e.name === 'string' || e.name === 'bytes') {
      const kind = e.name === 'string' ? 'String' : 'Bytes';
      return choose(flexC, false, (fl) => [`${wr}.${stringMethod(fl, false, kind)}(${acc});`]);
    }
    if (e.name === 'records') throw new Error(`${this.msg.source}: arrays of records are not supported`);
    return [`${wr}.${e.name}(${acc});`];
  }

  encodeLines(s: StructSpec): Lines {
    const body: Lines = [];
    for (const f of s.fields) {
      const regular = this.regularVersions(f);
      const present = versionCond(regular, s.versions);
      if (present === false) continue;
      const within = intersect(s.versions, regular);
      body.push(...ifElse(present, this.writeValue(s, f, f.type, `v.${f.camelName}`, 'w', within, false)));
    }
    if (this.canCarryTags(s)) {
      const tagged = s.fields
        .filter((f) => versionCond(this.taggedVersionsOf(f), this.flexibleVersionsOf(s)) !== false)
        .sort((a, b) => a.tag! - b.tag!);
      let section: Lines;
      if (tagged.length === 0) section = ['w.taggedFields(v._unknownTaggedFields);'];
      else {
        section = ['let _tags: TaggedField[] | undefined;'];
        for (const f of tagged) {
          const within = intersect(this.flexibleVersionsOf(s), this.taggedVersionsOf(f));
          const acc = `v.${f.camelName}`;
          const cond = and(versionCond(this.taggedVersionsOf(f), this.flexibleVersionsOf(s)), this.notDefault(s, f, acc));
          section.push(
            ...ifElse(cond, [
              'const _tw = new Writer(64);',
              ...this.writeValue(s, f, f.type, acc, '_tw', within, true, this.defaultValue(s, f) === 'null'),
              `(_tags ??= []).push({ tag: ${f.tag}, data: _tw.finish() });`,
            ]),
          );
        }
        section.push('w.taggedFields(mergeTags(_tags, v._unknownTaggedFields));');
      }
      body.push(...ifElse(this.structFlexCond(s), section));
    }
    return this.fn(`function encode${s.tsName}`, [['w', 'Writer'], ['v', s.tsName], ['version', 'number']], 'void', s, body);
  }

  // ---- decoding ----

  private readExpr(s: StructSpec, f: FieldSpec, t: ElementType, rd: string, within: VersionRange, tagged: boolean): string {
    const flexC = tagged ? true : this.flexCond(f, within);
    const nullC = versionCond(f.nullableVersions, within);
    if (t.kind === 'struct') {
      const call = `decode${t.struct.tsName}(${rd}, version)`;
      const isNull = tagged ? `${rd}.uvarint() === 0` : `${rd}.int8() < 0`;
      return ternary(nullC, `${isNull} ? null : ${call}`, call);
    }
    if (t.name === 'string' || t.name === 'bytes') {
      const kind = t.name === 'string' ? 'String' : 'Bytes';
      return chooseExpr(flexC, nullC, (fl, nu) => `${rd}.${stringMethod(fl, nu, kind)}()`);
    }
    if (t.name === 'records') return chooseExpr(flexC, true, (fl) => `${rd}.${stringMethod(fl, true, 'Bytes')}()`);
    return `${rd}.${t.name}()`;
  }

  private readElement(e: ElementType, rd: string, flexC: Cond): string {
    if (e.kind === 'struct') return `decode${e.struct.tsName}(${rd}, version)`;
    if (e.name === 'string' || e.name === 'bytes') {
      const kind = e.name === 'string' ? 'String' : 'Bytes';
      return chooseExpr(flexC, false, (fl) => `${rd}.${stringMethod(fl, false, kind)}()`);
    }
    return `${rd}.${e.name}()`;
  }

  /** Statements that read an array field into `loc` (already declared). */
  private readArray(f: FieldSpec, t: { element: ElementType }, loc: string, rd: string, within: VersionRange, tagged: boolean): Lines {
    const flexC = tagged ? true : this.flexCond(f, within);
    const nullC = versionCond(f.nullableVersions, within);
    const e = t.element;
    const min = (fl: boolean): number => (e.kind === 'primitive' ? (MIN_SIZE[e.name] ?? (e.name === 'string' && !fl ? 2 : 1)) : 1);
    const len = chooseExpr(flexC, nullC, (fl, nu) => `${rd}.${arrayLengthMethod(fl, nu)}(${min(fl) > 1 ? min(fl) : ''})`);
    const fill = [
      `${loc} = new Array<${this.elementTs(e)}>(_n);`,
      `for (let _i = 0; _i < _n; _i++) ${loc}[_i] = ${this.readElement(e, rd, flexC)};`,
    ];
    return [`const _n = ${len};`, ...(nullC === false ? fill : ifElse('_n < 0', [`${loc} = null;`], fill))];
  }

  decodeLines(s: StructSpec): Lines {
    const body: Lines = [];
    const taggedFields = this.canCarryTags(s)
      ? s.fields.filter((f) => versionCond(this.taggedVersionsOf(f), this.flexibleVersionsOf(s)) !== false).sort((a, b) => a.tag! - b.tag!)
      : [];
    for (const f of s.fields) {
      const loc = localName(f.camelName);
      const regular = this.regularVersions(f);
      const present = versionCond(regular, s.versions);
      const within = intersect(s.versions, regular);
      const mutable = taggedFields.includes(f);
      const ts = this.tsType(f);
      const t = f.type;
      if (t.kind !== 'array') {
        const value = present === false ? this.defaultValue(s, f) : ternary(present, this.readExpr(s, f, t, 'r', within, false), this.defaultValue(s, f));
        body.push(mutable ? `let ${loc}: ${ts} = ${value};` : `const ${loc} = ${value};`);
      } else if (present === true && !mutable && versionCond(f.nullableVersions, within) === false) {
        const flexC = this.flexCond(f, within);
        const e = t.element;
        const min = (fl: boolean): number => (e.kind === 'primitive' ? (MIN_SIZE[e.name] ?? (e.name === 'string' && !fl ? 2 : 1)) : 1);
        const len = chooseExpr(flexC, false, (fl) => `r.${arrayLengthMethod(fl, false)}(${min(fl) > 1 ? min(fl) : ''})`);
        body.push(`const ${loc} = new Array<${this.elementTs(e)}>(${len});`);
        body.push(`for (let _i = 0; _i < ${loc}.length; _i++) ${loc}[_i] = ${this.readElement(e, 'r', flexC)};`);
      } else if (present === false) {
        body.push(`${mutable ? 'let' : 'const'} ${loc}: ${ts} = ${this.defaultValue(s, f)};`);
      } else {
        body.push(`let ${loc}: ${ts};`);
        const read = this.readArray(f, t, loc, 'r', within, false);
        if (present === true) body.push('{', ...indent(read), '}');
        else body.push(...ifElse(present, read, [`${loc} = ${this.defaultValue(s, f)};`]));
      }
    }

    const entries = s.fields.map((f) => (localName(f.camelName) === f.camelName ? f.camelName : `${f.camelName}: ${localName(f.camelName)}`));
    if (!this.canCarryTags(s)) {
      body.push(...objectLiteral(entries, 'return ', ';'));
      return this.fn(`function decode${s.tsName}`, [['r', 'Reader'], ['version', 'number']], s.tsName, s, body);
    }

    const flexC = this.structFlexCond(s);
    if (taggedFields.length === 0) {
      body.push(`const _unknownTaggedFields = ${ternary(flexC, 'r.taggedFields()', 'undefined')};`);
    } else {
      body.push('let _unknownTaggedFields: TaggedField[] | undefined;');
      const chain: Lines = [];
      taggedFields.forEach((f, i) => {
        const within = intersect(this.flexibleVersionsOf(s), this.taggedVersionsOf(f));
        const cond = and(`_tag === ${f.tag}`, versionCond(this.taggedVersionsOf(f), this.flexibleVersionsOf(s)));
        const loc = localName(f.camelName);
        const t = f.type;
        let stmts: Lines;
        if (t.kind === 'array') stmts = ['const _tr = new Reader(_data);', ...this.readArray(f, t, loc, '_tr', within, true)];
        else {
          const expr = this.readExpr(s, f, t, '_tr', within, true);
          const once = (expr.match(/\b_tr\b/g) ?? []).length === 1;
          stmts = once ? [`${loc} = ${expr.replace(/\b_tr\b/, 'new Reader(_data)')};`] : ['const _tr = new Reader(_data);', `${loc} = ${expr};`];
        }
        const opener = i === 0 ? `if (${cond}) ` : `} else if (${cond}) `;
        chain.push(`${opener}{`, ...indent(stmts));
      });
      chain.push('} else {', '  (_unknownTaggedFields ??= []).push({ tag: _tag, data: _data });', '}');
      body.push(
        ...ifElse(flexC, [
          'const _count = r.uvarint();',
          'for (let _t = 0, _last = -1; _t < _count; _t++) {',
          ...indent([
            'const _tag = r.uvarint();',
            'if (_tag <= _last) throw tagOutOfOrder(_tag);',
            '_last = _tag;',
            'const _data = r.raw(r.uvarint());',
            ...chain,
          ]),
          '}',
        ]),
      );
    }
    body.push(...objectLiteral(entries, `const _out: ${s.tsName} = `, ';'));
    body.push('if (_unknownTaggedFields !== undefined) _out._unknownTaggedFields = _unknownTaggedFields;');
    body.push('return _out;');
    return this.fn(`function decode${s.tsName}`, [['r', 'Reader'], ['version', 'number']], s.tsName, s, body);
  }
}
