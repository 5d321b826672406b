/** Formatting shared by the tour's sections. */

export const money = (minor: number, currency: string): string =>
  `${currency} ${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export const heading = (say: (line: string) => void, title: string): void => say(`\n── ${title}`);
