//! A walk over the output rows of a spilling WS/IS run in visit order (folds in the run's order,
//! each fold's `T` rows in stream order), tracking where each row lives in buffer C
//! (`docs/microarchitecture.md`, "Memory system"): a fold's rows are `n` chunks of `q` rows, the
//! first `r` one row longer; global chunk `g` lives in bank `g mod 2`, in half `(g / 2) mod 2` of
//! that bank, its row `i` at row `i` of that quarter.
//!
//! The DMA keeps five: the array's C writes, its read-backs and the DMA's drains walk every row;
//! the refetches and their landings (`later`) walk only the rows of folds after a column tile's
//! first row tile, the ones whose partial sums come back from DRAM, and step over a first row
//! tile's fold in the same step that ends the fold before it.

use rust_hdl::prelude::*;

/// One walk (see the module doc).
#[derive(LogicBlock)]
pub struct ChunkWalk {
    /// The clock.
    pub clock: Signal<In, Clock>,
    /// Start a new run (the DMA's launch).
    pub start: Signal<In, Bit>,
    /// Walk only the rows of folds that are not a column tile's first row tile.
    pub later: Signal<In, Bit>,
    /// Move to the next row.
    pub step: Signal<In, Bit>,
    /// Chunks per fold (`n`).
    pub chunks: Signal<In, Bits<16>>,
    /// Rows of a chunk (`q`).
    pub chunk: Signal<In, Bits<16>>,
    /// Chunks with one row more (`r`).
    pub chunk_rem: Signal<In, Bits<16>>,
    /// Rows per fold (`T`).
    pub tlen: Signal<In, Bits<16>>,
    /// Extent of the array-row dimension (K).
    pub row_dim: Signal<In, Bits<16>>,
    /// Extent of the array-column dimension.
    pub col_dim: Signal<In, Bits<16>>,
    /// Cycle (as the controller counts) of fold 1's first read-back.
    pub due_first: Signal<In, Bits<32>>,
    /// Fold interval.
    pub interval: Signal<In, Bits<32>>,
    /// The current row's global chunk (17 bits, compared by difference).
    pub g: Signal<Out, Bits<17>>,
    /// Its row within the chunk.
    pub i: Signal<Out, Bits<16>>,
    /// Its visit index: `fold x T + row`.
    pub v: Signal<Out, Bits<17>>,
    /// Its bank of C.
    pub bank: Signal<Out, Bit>,
    /// Its address in C: `bank x half + quarter x floor(half / 2) + i`.
    pub addr: Signal<Out, Bits<16>>,
    /// Its row in C's layout (column tile base + row within the fold).
    pub layout: Signal<Out, Bits<16>>,
    /// Its valid lanes (columns of its column tile).
    pub count: Signal<Out, Bits<8>>,
    /// Rows remain to walk.
    pub valid: Signal<Out, Bit>,
    /// The cycle in which the controller reads the row back (a `later` walk's; a walk of every
    /// row starts from fold 1's time too, so its `due` means nothing).
    pub due: Signal<Out, Bits<32>>,
    gc: DFF<Bits<17>>,
    ic: DFF<Bits<16>>,
    jc: DFF<Bits<16>>,
    size: DFF<Bits<16>>,
    sc: DFF<Bits<16>>,
    vc: DFF<Bits<17>>,
    rows_rem: DFF<Bits<16>>,
    col_rem: DFF<Bits<16>>,
    ct_base: DFF<Bits<16>>,
    fold_due: DFF<Bits<32>>,
    due_r: DFF<Bits<32>>,
    k_r16: Constant<Bits<16>>,
    k_c16: Constant<Bits<16>>,
    k_half: Constant<Bits<16>>,
    k_quarter: Constant<Bits<16>>,
    k_one16: Constant<Bits<16>>,
    k_one17: Constant<Bits<17>>,
    k_one32: Constant<Bits<32>>,
    k_zero16: Constant<Bits<16>>,
    k_zero17: Constant<Bits<17>>,
    i_last: Signal<Local, Bit>,
    s_last: Signal<Local, Bit>,
    more_rt: Signal<Local, Bit>,
    j_next: Signal<Local, Bits<16>>,
    size_next: Signal<Local, Bits<16>>,
    size0: Signal<Local, Bits<16>>,
    n17: Signal<Local, Bits<17>>,
    t17: Signal<Local, Bits<17>>,
}

impl ChunkWalk {
    /// A walk for an array of `rows x cols` whose C banks hold `half` rows each.
    pub fn new(rows: u64, cols: u64, half: u64) -> Self {
        let b16 = |v: u64| Constant::new(Bits::<16>::from(v));
        ChunkWalk {
            clock: Default::default(),
            start: Default::default(),
            later: Default::default(),
            step: Default::default(),
            chunks: Default::default(),
            chunk: Default::default(),
            chunk_rem: Default::default(),
            tlen: Default::default(),
            row_dim: Default::default(),
            col_dim: Default::default(),
            due_first: Default::default(),
            interval: Default::default(),
            g: Default::default(),
            i: Default::default(),
            v: Default::default(),
            bank: Default::default(),
            addr: Default::default(),
            layout: Default::default(),
            count: Default::default(),
            valid: Default::default(),
            due: Default::default(),
            gc: Default::default(),
            ic: Default::default(),
            jc: Default::default(),
            size: Default::default(),
            sc: Default::default(),
            vc: Default::default(),
            rows_rem: Default::default(),
            col_rem: Default::default(),
            ct_base: Default::default(),
            fold_due: Default::default(),
            due_r: Default::default(),
            k_r16: b16(rows),
            k_c16: b16(cols),
            k_half: b16(half),
            k_quarter: b16(half / 2),
            k_one16: b16(1),
            k_one17: Constant::new(Bits::<17>::from(1u64)),
            k_one32: Constant::new(Bits::<32>::from(1u64)),
            k_zero16: b16(0),
            k_zero17: Constant::new(Bits::<17>::from(0u64)),
            i_last: Default::default(),
            s_last: Default::default(),
            more_rt: Default::default(),
            j_next: Default::default(),
            size_next: Default::default(),
            size0: Default::default(),
            n17: Default::default(),
            t17: Default::default(),
        }
    }
}

impl Logic for ChunkWalk {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, gc, ic, jc, size, sc, vc, rows_rem, col_rem, ct_base, fold_due, due_r
        );
        self.n17.next = bit_cast::<17, 16>(self.chunks.val());
        self.t17.next = bit_cast::<17, 16>(self.tlen.val());
        // Outputs.
        self.g.next = self.gc.q.val();
        self.i.next = self.ic.q.val();
        self.v.next = self.vc.q.val();
        self.bank.next = self.gc.q.val().get_bit(0);
        self.addr.next = self.ic.q.val();
        if self.gc.q.val().get_bit(1) {
            self.addr.next = self.ic.q.val() + self.k_quarter.val();
        }
        if self.gc.q.val().get_bit(0) {
            self.addr.next = self.ic.q.val() + self.k_half.val();
            if self.gc.q.val().get_bit(1) {
                self.addr.next = self.ic.q.val() + self.k_half.val() + self.k_quarter.val();
            }
        }
        self.layout.next = self.ct_base.q.val() + self.sc.q.val();
        self.count.next = bit_cast::<8, 16>(self.col_rem.q.val());
        if self.col_rem.q.val() > self.k_c16.val() {
            self.count.next = bit_cast::<8, 16>(self.k_c16.val());
        }
        self.valid.next = self.col_rem.q.val() != self.k_zero16.val();
        self.due.next = self.due_r.q.val();

        // The next row.
        self.size0.next = self.chunk.val();
        if self.chunk_rem.val() != self.k_zero16.val() {
            self.size0.next = self.chunk.val() + self.k_one16.val();
        }
        self.i_last.next = self.ic.q.val() + self.k_one16.val() == self.size.q.val();
        self.s_last.next = self.sc.q.val() + self.k_one16.val() == self.tlen.val();
        self.more_rt.next = self.rows_rem.q.val() > self.k_r16.val();
        self.j_next.next = self.jc.q.val() + self.k_one16.val();
        if self.s_last.val() {
            self.j_next.next = self.k_zero16.val();
        }
        self.size_next.next = self.chunk.val();
        if self.j_next.val() < self.chunk_rem.val() {
            self.size_next.next = self.chunk.val() + self.k_one16.val();
        }

        if self.start.val() {
            self.ic.d.next = self.k_zero16.val();
            self.jc.d.next = self.k_zero16.val();
            self.size.d.next = self.size0.val();
            self.sc.d.next = self.k_zero16.val();
            self.col_rem.d.next = self.col_dim.val();
            self.ct_base.d.next = self.k_zero16.val();
            self.fold_due.d.next = self.due_first.val();
            self.due_r.d.next = self.due_first.val();
            if self.later.val() {
                // Fold 1: the first column tile's second row tile.
                self.gc.d.next = self.n17.val();
                self.vc.d.next = self.t17.val();
                self.rows_rem.d.next = self.row_dim.val() - self.k_r16.val();
            } else {
                self.gc.d.next = self.k_zero17.val();
                self.vc.d.next = self.k_zero17.val();
                self.rows_rem.d.next = self.row_dim.val();
            }
        } else if self.step.val() {
            self.vc.d.next = self.vc.q.val() + self.k_one17.val();
            self.due_r.d.next = self.due_r.q.val() + self.k_one32.val();
            self.sc.d.next = self.sc.q.val() + self.k_one16.val();
            self.ic.d.next = self.ic.q.val() + self.k_one16.val();
            if self.i_last.val() {
                self.ic.d.next = self.k_zero16.val();
                self.gc.d.next = self.gc.q.val() + self.k_one17.val();
                self.jc.d.next = self.j_next.val();
                self.size.d.next = self.size_next.val();
            }
            if self.s_last.val() {
                self.sc.d.next = self.k_zero16.val();
                self.fold_due.d.next = self.fold_due.q.val() + self.interval.val();
                self.due_r.d.next = self.fold_due.q.val() + self.interval.val();
                if self.more_rt.val() {
                    self.rows_rem.d.next = self.rows_rem.q.val() - self.k_r16.val();
                } else {
                    // The column tile is done.
                    self.ct_base.d.next = self.ct_base.q.val() + self.tlen.val();
                    self.col_rem.d.next = self.k_zero16.val();
                    if self.col_rem.q.val() > self.k_c16.val() {
                        self.col_rem.d.next = self.col_rem.q.val() - self.k_c16.val();
                    }
                    self.rows_rem.d.next = self.row_dim.val();
                    if self.later.val() {
                        // Step over the next column tile's first row tile.
                        self.gc.d.next = self.gc.q.val() + self.k_one17.val() + self.n17.val();
                        self.vc.d.next = self.vc.q.val() + self.k_one17.val() + self.t17.val();
                        self.rows_rem.d.next = self.row_dim.val() - self.k_r16.val();
                        self.fold_due.d.next =
                            self.fold_due.q.val() + self.interval.val() + self.interval.val();
                        self.due_r.d.next =
                            self.fold_due.q.val() + self.interval.val() + self.interval.val();
                    }
                }
            }
        }
    }
}
