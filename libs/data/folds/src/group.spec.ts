import { groupsOf, makeFolds, type FoldItem } from './index';

const CARVANA_GROUP = '^(.+)_\\d+\\.jpg$';

/** Carvana-like ids: `cars` cars of `views` views, car c's coverage (c mod 4)/4 for every view. */
function carItems(cars: number, views: number): FoldItem[] {
  const items: FoldItem[] = [];
  for (let c = 0; c < cars; c++) {
    for (let v = 1; v <= views; v++) items.push({ id: `car${String(c).padStart(2, '0')}_${String(v).padStart(2, '0')}.jpg`, coverage: (c % 4) / 4, depth: NaN });
  }
  return items;
}

describe('groupsOf', () => {
  it.each([
    ['00087a6bd4dc_01.jpg', CARVANA_GROUP, '00087a6bd4dc'],
    ['00087a6bd4dc_16.jpg', CARVANA_GROUP, '00087a6bd4dc'],
    ['patient7-slice3', '^patient\\d+', 'patient7'], // no capture group: the whole match
  ])('%s under %s is group %s', (id, pattern, group) => {
    expect(groupsOf([id], pattern).get(id)).toBe(group);
  });

  it('names the id the pattern does not match, and a broken pattern', () => {
    expect(() => groupsOf(['a_01.jpg', 'b.png'], CARVANA_GROUP)).toThrow(`folds.groupBy "${CARVANA_GROUP}" does not match the id "b.png"`);
    expect(() => groupsOf(['a'], '([')).toThrow(/folds.groupBy "\(\[" is not a regular expression/);
  });
});

describe('makeFolds with groupBy', () => {
  it('keeps every car in one fold, each coverage class spread, sizes within one car', () => {
    const items = carItems(12, 4);
    const folds = makeFolds(items, { k: 3, seed: 7, stratify: 'coverage', groupBy: CARVANA_GROUP });
    const foldOfCar = new Map<string, Set<number>>();
    for (const it of items) {
      const car = it.id.slice(0, 5);
      foldOfCar.set(car, (foldOfCar.get(car) ?? new Set()).add(folds.get(it.id) as number));
    }
    for (const set of foldOfCar.values()) expect(set.size).toBe(1);
    const sizes = [0, 1, 2].map((f) => items.filter((it) => folds.get(it.id) === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(4);
    // 12 cars, 3 per coverage class, 3 folds: each class puts one car in each fold.
    for (let cls = 0; cls < 4; cls++) {
      const cars = [0, 1, 2].map((f) => items.filter((it) => it.coverage === cls / 4 && folds.get(it.id) === f).length / 4);
      expect(cars).toEqual([1, 1, 1]);
    }
  });

  it('worked by hand: a group of 3 and three singles over 2 folds -> the group alone, the singles together', () => {
    // Largest first: the 3-image group takes a fold; each single then goes to the smaller fold (1, 2, 3 images).
    const items: FoldItem[] = ['big-1', 'big-2', 'big-3', 'a-1', 'b-1', 'c-1'].map((id) => ({ id, coverage: 0, depth: NaN }));
    for (const seed of [1, 2, 3, 4]) {
      const folds = makeFolds(items, { k: 2, seed, stratify: 'coverage', groupBy: '^([a-z]+)-' });
      const big = folds.get('big-1');
      expect([folds.get('big-2'), folds.get('big-3')]).toEqual([big, big]);
      expect(['a-1', 'b-1', 'c-1'].map((id) => folds.get(id))).toEqual([1 - (big as number), 1 - (big as number), 1 - (big as number)]);
    }
  });

  it('is deterministic and independent of the input order', () => {
    const items = carItems(10, 3);
    const a = makeFolds(items, { k: 5, seed: 3, stratify: 'coverage', groupBy: CARVANA_GROUP });
    const b = makeFolds([...items].reverse(), { k: 5, seed: 3, stratify: 'coverage', groupBy: CARVANA_GROUP });
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
  });

  it('refuses fewer groups than folds, and depth stratification', () => {
    expect(() => makeFolds(carItems(2, 4), { k: 3, seed: 1, stratify: 'coverage', groupBy: CARVANA_GROUP })).toThrow('makes 2 group(s) of the train ids, fewer than the 3 folds');
    expect(() => makeFolds(carItems(6, 2), { k: 3, seed: 1, stratify: 'depth', groupBy: CARVANA_GROUP })).toThrow('folds.groupBy works with folds.stratify "coverage"');
  });
});
