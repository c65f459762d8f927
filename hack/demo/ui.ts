// How the demo talks to the person running it: numbered steps, indented
// details, and a progress line that redraws in place on a terminal and
// prints one line per change otherwise (CI logs, the demo test).

export interface Progress {
  /** Shows the current state; on a terminal the line is redrawn with a spinner. */
  update(text: string): void;
  /** Ends the progress line with a final text. */
  done(text: string): void;
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Ui {
  readonly interactive: boolean;
  private readonly color: boolean;
  private readonly out: NodeJS.WriteStream;
  private readonly started = Date.now();
  private stepNo = 0;

  constructor(opts: { interactive: boolean; out?: NodeJS.WriteStream }) {
    this.out = opts.out ?? process.stdout;
    this.interactive = opts.interactive && this.out.isTTY;
    this.color = this.out.isTTY && process.env.NO_COLOR === undefined;
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  bold(text: string): string { return this.paint('1', text); }
  dim(text: string): string { return this.paint('2', text); }
  green(text: string): string { return this.paint('32', text); }
  red(text: string): string { return this.paint('31', text); }
  cyan(text: string): string { return this.paint('36', text); }

  /** Seconds since the demo started, for the step headers. */
  elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)}s`;
  }

  step(title: string): void {
    this.stepNo++;
    this.out.write(`\n${this.bold(this.cyan(`${this.stepNo}.`))} ${this.bold(title)} ${this.dim(`[${this.elapsed()}]`)}\n`);
  }

  line(text = ''): void {
    this.out.write(`   ${text}\n`);
  }

  /** A command the user could type, shown as such. */
  command(argv: string): void {
    this.out.write(`   ${this.dim('$')} ${argv}\n`);
  }

  /** Output of a command, indented. */
  block(text: string): void {
    for (const l of text.replace(/\n+$/, '').split('\n')) this.out.write(`     ${l}\n`);
  }

  detail(label: string, value: string): void {
    this.out.write(`   ${this.dim(`${label}:`)} ${value}\n`);
  }

  progress(): Progress {
    let last = '';
    let frame = 0;
    let timer: NodeJS.Timeout | undefined;
    const draw = (): void => {
      this.out.write(`\r\x1b[K   ${this.cyan(frames[frame % frames.length] ?? '')} ${last} ${this.dim(this.elapsed())}`);
      frame++;
    };
    if (this.interactive) timer = setInterval(draw, 100);
    return {
      update: (text) => {
        if (text === last) return;
        last = text;
        if (this.interactive) draw();
        else this.out.write(`   … ${text} ${this.dim(`[${this.elapsed()}]`)}\n`);
      },
      done: (text) => {
        if (timer !== undefined) clearInterval(timer);
        if (this.interactive) this.out.write('\r\x1b[K');
        this.out.write(`   ${text}\n`);
      },
    };
  }
}
