// The cron language of spec.schedule: what Kubernetes CronJob accepts through
// robfig/cron's standard parser, five fields or a macro. The CRD's regular
// expression only checks the shape, so this is where "61 * * * *", seconds
// fields and other dialects' extensions (L, W, #) are refused, each with a
// message that names the field. Evaluation is croner's job (cron-schedule.ts).
import { isCronSyntax } from '../../api/checkpoint-schedule.ts';

export type CronFields = readonly [minute: string, hour: string, dayOfMonth: string, month: string, dayOfWeek: string];

export type CronSyntax =
  | { ok: true; fields: CronFields }
  | { ok: false; message: string };

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const dayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

// Day of week 7 is Sunday as in Vixie cron and croner. robfig/cron refuses 7;
// accepting it costs nothing and spares users a surprising refusal.
const fieldSpecs: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: monthNames },
  { name: 'day of week', min: 0, max: 7, names: dayNames },
];

/** The macros the CRD allows, as the five fields robfig/cron gives them. */
const macros: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const wantFive = 'want five fields (minute hour day-of-month month day-of-week) or a macro such as @hourly';

/** Parses a schedule into its five fields, or says what is wrong with it. */
export function parseCronSyntax(expression: string): CronSyntax {
  if (expression.includes('TZ=')) {
    return { ok: false, message: 'must not set a time zone with TZ= or CRON_TZ=; use spec.timeZone' };
  }
  const text = expression.trim();
  const macro = macros[text];
  const fields = (macro ?? text).split(/\s+/);
  if (macro === undefined && !isCronSyntax(text)) {
    if (fields.length === 6 || fields.length === 7) {
      return { ok: false, message: `has ${fields.length} fields: seconds and year fields are not supported; ${wantFive}` };
    }
    if (text.startsWith('@')) return { ok: false, message: `unknown macro ${text}; ${wantFive}` };
    return { ok: false, message: `malformed cron expression: ${wantFive}` };
  }
  const [minute = '', hour = '', dom = '', month = '', dow = ''] = fields;
  const parsed: CronFields = [minute, hour, dom, month, dow];
  for (const [i, spec] of fieldSpecs.entries()) {
    const problem = fieldProblem(parsed[i] ?? '', spec);
    if (problem !== undefined) return { ok: false, message: `${spec.name} field ${JSON.stringify(parsed[i])}: ${problem}` };
  }
  return { ok: true, fields: parsed };
}

function fieldProblem(field: string, spec: FieldSpec): string | undefined {
  for (const item of field.split(',')) {
    const [range = '', step, extra] = item.split('/');
    if (extra !== undefined) return `${item} has more than one step`;
    if (range !== '*' && range !== '?') {
      const ends = range.split('-');
      if (ends.length > 2) return `${range} is not a value or a range`;
      const values: number[] = [];
      for (const end of ends) {
        const v = atomValue(end, spec);
        if (typeof v === 'string') return v;
        values.push(v);
      }
      const [low = spec.min, high = spec.max] = values;
      if (values.length === 2 && low > high) return `range ${range} starts after it ends`;
    }
    if (step !== undefined) {
      if (!/^[0-9]+$/.test(step) || Number(step) === 0) return `step ${step} must be a positive number`;
      // croner refuses a step longer than the field; robfig/cron would fire
      // at the start only. Saying so is clearer than either.
      const span = spec.name === 'day of week' ? 7 : spec.max - spec.min + 1;
      if (Number(step) > span) return `step ${step} is longer than the ${spec.name} field (${span} values)`;
    }
  }
  return undefined;
}

function atomValue(atom: string, spec: FieldSpec): number | string {
  if (/^[0-9]+$/.test(atom)) {
    const v = Number(atom);
    if (v < spec.min || v > spec.max) return `${atom} is out of range ${spec.min}-${spec.max}`;
    return v;
  }
  const index = spec.names?.indexOf(atom.toLowerCase()) ?? -1;
  if (index >= 0) return index + (spec.name === 'month' ? 1 : 0);
  if (spec.names !== undefined) {
    return `${atom} is not a number or a ${spec.name === 'month' ? 'month name (JAN-DEC)' : 'day name (SUN-SAT)'}`;
  }
  return `${atom} is not a number (L, W and # of other cron dialects are not supported)`;
}
