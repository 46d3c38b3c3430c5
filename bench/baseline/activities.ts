/** The baseline's one activity: does nothing but answer. */
export const baselineActivities = {
  async step(n: number): Promise<number> {
    return n + 1;
  },
};

export type BaselineActivities = typeof baselineActivities;
