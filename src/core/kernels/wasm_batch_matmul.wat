;; Batched matrix product with WebAssembly SIMD, for the wasm backend (wasm_batch_matmul.ts runs it).
;;
;; C[p, i, j] = Σ_k A[p, i, k] · B[p, k, j] over a batch p, reading tfjs-wasm's own heap (the memory is imported).
;; B and C are row-major ([K, N] and [M, N] per batch entry); A is read through strides, so a transposed A costs
;; nothing: element (i, k) of batch p sits at a + 4·(p·sab + i·ars + k·acs). A batch stride of 0 broadcasts.
;; Each output row is computed 16 columns at a time in four f32x4 accumulators (then 4 at a time, then one),
;; walking k in order: one splat of A[i, k] and four multiply-adds of B's row k per step.
;; Rebuild the bytes with `npm run build:kernels` (scripts/build_kernels.ts) after an edit.
(module
  (import "env" "memory" (memory 1))
  (func (export "bmm")
    (param $a i32) (param $b i32) (param $c i32)
    (param $batch i32) (param $M i32) (param $K i32) (param $N i32)
    (param $sab i32) (param $sbb i32) (param $ars i32) (param $acs i32)
    (local $p i32) (local $i i32) (local $j i32) (local $k i32)
    (local $abase i32) (local $bbase i32) (local $arow i32) (local $crow i32)
    (local $ap i32) (local $bp i32) (local $cp i32) (local $nb i32) (local $acsb i32)
    (local $s v128) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $f f32)
    (local.set $nb (i32.shl (local.get $N) (i32.const 2)))
    (local.set $acsb (i32.shl (local.get $acs) (i32.const 2)))
    (local.set $p (i32.const 0))
    (block $pdone
      (loop $ploop
        (br_if $pdone (i32.ge_s (local.get $p) (local.get $batch)))
        (local.set $abase (i32.add (local.get $a) (i32.shl (i32.mul (local.get $p) (local.get $sab)) (i32.const 2))))
        (local.set $bbase (i32.add (local.get $b) (i32.shl (i32.mul (local.get $p) (local.get $sbb)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $idone
          (loop $iloop
            (br_if $idone (i32.ge_s (local.get $i) (local.get $M)))
            (local.set $arow (i32.add (local.get $abase) (i32.shl (i32.mul (local.get $i) (local.get $ars)) (i32.const 2))))
            (local.set $crow
              (i32.add (local.get $c)
                (i32.mul (i32.add (i32.mul (local.get $p) (local.get $M)) (local.get $i)) (local.get $nb))))
            (local.set $j (i32.const 0))
            ;; 16 columns at a time
            (block $j16done
              (loop $j16loop
                (br_if $j16done (i32.gt_s (i32.add (local.get $j) (i32.const 16)) (local.get $N)))
                (local.set $x0 (v128.const f32x4 0 0 0 0))
                (local.set $x1 (v128.const f32x4 0 0 0 0))
                (local.set $x2 (v128.const f32x4 0 0 0 0))
                (local.set $x3 (v128.const f32x4 0 0 0 0))
                (local.set $ap (local.get $arow))
                (local.set $bp (i32.add (local.get $bbase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $k (i32.const 0))
                (block $kdone
                  (loop $kloop
                    (br_if $kdone (i32.ge_s (local.get $k) (local.get $K)))
                    (local.set $s (f32x4.splat (f32.load (local.get $ap))))
                    (local.set $x0 (f32x4.add (local.get $x0) (f32x4.mul (local.get $s) (v128.load offset=0 (local.get $bp)))))
                    (local.set $x1 (f32x4.add (local.get $x1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $bp)))))
                    (local.set $x2 (f32x4.add (local.get $x2) (f32x4.mul (local.get $s) (v128.load offset=32 (local.get $bp)))))
                    (local.set $x3 (f32x4.add (local.get $x3) (f32x4.mul (local.get $s) (v128.load offset=48 (local.get $bp)))))
                    (local.set $ap (i32.add (local.get $ap) (local.get $acsb)))
                    (local.set $bp (i32.add (local.get $bp) (local.get $nb)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $kloop)))
                (local.set $cp (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
                (v128.store offset=0 (local.get $cp) (local.get $x0))
                (v128.store offset=16 (local.get $cp) (local.get $x1))
                (v128.store offset=32 (local.get $cp) (local.get $x2))
                (v128.store offset=48 (local.get $cp) (local.get $x3))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $j16loop)))
            ;; then 4 at a time
            (block $j4done
              (loop $j4loop
                (br_if $j4done (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $N)))
                (local.set $x0 (v128.const f32x4 0 0 0 0))
                (local.set $ap (local.get $arow))
                (local.set $bp (i32.add (local.get $bbase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $k (i32.const 0))
                (block $k4done
                  (loop $k4loop
                    (br_if $k4done (i32.ge_s (local.get $k) (local.get $K)))
                    (local.set $x0
                      (f32x4.add (local.get $x0)
                        (f32x4.mul (f32x4.splat (f32.load (local.get $ap))) (v128.load (local.get $bp)))))
                    (local.set $ap (i32.add (local.get $ap) (local.get $acsb)))
                    (local.set $bp (i32.add (local.get $bp) (local.get $nb)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $k4loop)))
                (v128.store (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))) (local.get $x0))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $j4loop)))
            ;; then the last columns one by one
            (block $j1done
              (loop $j1loop
                (br_if $j1done (i32.ge_s (local.get $j) (local.get $N)))
                (local.set $f (f32.const 0))
                (local.set $ap (local.get $arow))
                (local.set $bp (i32.add (local.get $bbase) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $k (i32.const 0))
                (block $k1done
                  (loop $k1loop
                    (br_if $k1done (i32.ge_s (local.get $k) (local.get $K)))
                    (local.set $f (f32.add (local.get $f) (f32.mul (f32.load (local.get $ap)) (f32.load (local.get $bp)))))
                    (local.set $ap (i32.add (local.get $ap) (local.get $acsb)))
                    (local.set $bp (i32.add (local.get $bp) (local.get $nb)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $k1loop)))
                (f32.store (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))) (local.get $f))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $j1loop)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iloop)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $ploop)))))
