// How the course writes a share: 0.976 -> "97.6%"; a share that was not measured -> "-".
export function percent(share: number | undefined, digits = 1): string {
  return share === undefined ? "-" : `${(100 * share).toFixed(digits)}%`;
}
