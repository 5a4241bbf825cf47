// The seat map's drawing, shared by the seat page (seats.js) and the dashboard (admin.js): one
// canvas, a few pixels a seat, so that 100,000 seats draw at once. A map is the API's
// (GET /v1/shows/:showId/seats): sections of rows, each row's seats as a count or labels and its
// statuses as one letter a seat (f free, h held, s sold). No framework.
(() => {
  const LABEL_WIDTH = 44;
  const SECTION_GAP = 18;
  const TEXT = '#6b7280';

  /** The label of a row's p-th seat (0-based): 1..n when the row gives a count. */
  const labelOf = (row, p) => (typeof row.seats === 'number' ? String(p + 1) : row.seats[p]);

  /**
   * Where each row goes on a canvas `width` CSS pixels wide: rows as { sectionId, rowId, seats,
   * status, y }, the seat's size (`cell`, within minCell..maxCell) and the height needed.
   */
  function layout(map, width, { minCell, maxCell }) {
    const rows = [];
    let widest = 1;
    for (const section of map.sections)
      for (const row of section.rows) {
        widest = Math.max(widest, row.status.length);
        rows.push({ sectionId: section.id, rowId: row.id, seats: row.seats, status: row.status, y: 0 });
      }
    const cell = Math.max(minCell, Math.min(maxCell, Math.floor((width - LABEL_WIDTH) / widest)));
    let y = 0;
    let last = null;
    for (const row of rows) {
      if (row.sectionId !== last) {
        y += SECTION_GAP;
        last = row.sectionId;
      }
      row.y = y;
      y += cell;
    }
    return { rows, cell, width, height: y + 4 };
  }

  /**
   * Draws a layout on `canvas`, each seat in colorOf(row, p); the canvas's data attributes say
   * where each seat is drawn (cell, label width, section gap), for tests and readers of the source.
   */
  function draw(canvas, { rows, cell, width, height }, colorOf) {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = `${height}px`;
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    const gap = cell >= 6 ? 1 : 0;
    let last = null;
    for (const row of rows) {
      if (row.sectionId !== last) {
        last = row.sectionId;
        g.fillStyle = TEXT;
        g.fillText(`Section ${row.sectionId}`, 0, row.y - SECTION_GAP / 2);
      }
      if (cell >= 9) {
        g.fillStyle = TEXT;
        g.fillText(row.rowId, 4, row.y + cell / 2);
      }
      for (let p = 0; p < row.status.length; p++) {
        g.fillStyle = colorOf(row, p);
        g.fillRect(LABEL_WIDTH + p * cell, row.y, cell - gap, cell - gap);
      }
    }
    Object.assign(canvas.dataset, { cell: String(cell), labelWidth: String(LABEL_WIDTH), sectionGap: String(SECTION_GAP) });
  }

  /** The seat at (x, y) CSS pixels of a drawn layout: { id, status }, or null. */
  function seatAt({ rows, cell }, x, y) {
    for (const row of rows) {
      if (y < row.y || y >= row.y + cell) continue;
      const p = Math.floor((x - LABEL_WIDTH) / cell);
      if (p < 0 || p >= row.status.length) return null;
      return { id: seatId(row, p), status: row.status[p] };
    }
    return null;
  }

  /** A seat's id, as the API names it: `<section>-<row>-<label>`. */
  const seatId = (row, p) => `${row.sectionId}-${row.rowId}-${labelOf(row, p)}`;

  window.FloodgateSeatMap = { layout, draw, seatAt, seatId };
})();
