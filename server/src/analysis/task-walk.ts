/**
 * Depth-first walks with an explicit stack instead of recursion: code can nest expressions
 * thousands deep (a 5,000-term `+`), which would overflow the call stack. A visit schedules the
 * work that follows it — items, or steps to take once the items scheduled before them are done —
 * and everything runs in the order it was scheduled, as a recursive walk would.
 */

/** Something to visit, or a step to take when its turn comes. */
export type Task<T extends object> = T | (() => void);

/** Schedules work to run next, first to last; nulls are skipped. */
export type Later<T extends object> = (...tasks: Array<Task<T> | null>) => void;

export function walkTasks<T extends object>(first: T, visit: (item: T, later: Later<T>) => void): void {
  const stack: Array<Task<T>> = [first];
  // Pushed in reverse so they run first to last.
  const later: Later<T> = (...tasks) => {
    for (let i = tasks.length - 1; i >= 0; i--) {
      const t = tasks[i];
      if (t) stack.push(t);
    }
  };
  while (stack.length > 0) {
    const task = stack.pop() as Task<T>;
    if (typeof task === 'function') task();
    else visit(task, later);
  }
}
