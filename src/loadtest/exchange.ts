import type { Dispatcher } from 'undici';

export interface Answer {
  status: number | 'error';
  text: string;
}

/**
 * One HTTP exchange through undici's dispatch API, handled with plain callbacks: the status and
 * the body as text. Why not `pool.request()`: it wraps every answer in a Node stream (and its
 * promise chain), which at the tens of thousands of answers per second of a surge was a large
 * share of the generator's CPU and garbage, on the same two cores as the target.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private status = 0;
  private chunks: Buffer[] = [];

  constructor(private readonly settle: (answer: Answer) => void) {}

  onConnect(): void {}

  onHeaders(statusCode: number): boolean {
    this.status = statusCode; // 1xx informational answers are followed by the real one
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const text = this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    this.settle({ status: this.status, text });
  }

  onError(): void {
    this.settle({ status: 'error', text: '' });
  }
}

export function exchange(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): Promise<Answer> {
  return new Promise((settle) => {
    dispatcher.dispatch(options, new Exchange(settle));
  });
}
