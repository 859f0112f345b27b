// addon.cc: the JavaScript face of the addon: one `Vm` class over numbers and
// Buffers. Policy (layout, ELF, ABI decoding, limits) lives in TypeScript.
#include <napi.h>

#include <immintrin.h>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>
#include "kvm/kvm_vm.h"
#include "memory/guest_memory.h"
#include "vcpu_thread.h"

namespace hl {
namespace {

Napi::Error coded_error(Napi::Env env, const char* code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

const char* exit_kind_name(ExitKind k) {
  switch (k) {
    case ExitKind::kIo: return "io";
    case ExitKind::kFault: return "fault";
    case ExitKind::kCancelled: return "cancelled";
    case ExitKind::kPaused: return "paused";
    default: return "error";
  }
}

class Vm;
struct AddonState {
  std::set<Vm*> live;  // closed by the env cleanup hook at process exit
  std::vector<std::unique_ptr<VcpuThread>> retiring;  // tearing a VM down

  // Joins the threads that have finished tearing down (all of them if `all`).
  void reap(bool all) {
    for (auto it = retiring.begin(); it != retiring.end();) {
      if (all || (*it)->finished()) {
        (*it)->join();
        it = retiring.erase(it);
      } else {
        ++it;
      }
    }
  }
};

class Vm : public Napi::ObjectWrap<Vm> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Vm",
                       {InstanceMethod<&Vm::MapRange>("mapRange"), InstanceMethod<&Vm::Write>("write"),
                        InstanceMethod<&Vm::Read>("read"), InstanceMethod<&Vm::Run>("run"),
                        InstanceMethod<&Vm::Kill>("kill"), InstanceMethod<&Vm::Pause>("pause"), InstanceMethod<&Vm::Snapshot>("snapshot"),
                        InstanceMethod<&Vm::Restore>("restore"), InstanceMethod<&Vm::Close>("close"),
                        InstanceMethod<&Vm::Id>("id"), InstanceMethod<&Vm::ExitCount>("exitCount"),
                        InstanceMethod<&Vm::TscKhz>("tscKhz"),
                        InstanceMethod<&Vm::Registers>("registers"),
                        InstanceMethod<&Vm::StartProfile>("startProfile"),
                        InstanceMethod<&Vm::StopProfile>("stopProfile"),
                        InstanceMethod<&Vm::SetRegisters>("setRegisters")});
  }

  explicit Vm(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Vm>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Napi::TypeError::New(env, "Vm(memSize: number)").ThrowAsJavaScriptException();
      return;
    }
    try {
      mem_ = std::make_shared<GuestMemory>(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
      vm_ = std::make_unique<KvmVm>(mem_);
    } catch (const KvmError& e) {
      coded_error(env, e.kind == KvmError::kUnavailable ? "KVM_UNAVAILABLE" : "KVM_FAILED", e.what())
          .ThrowAsJavaScriptException();
      return;
    } catch (const std::exception& e) {
      coded_error(env, "KVM_FAILED", e.what()).ThrowAsJavaScriptException();
      return;
    }
    try {
      thread_ = std::make_unique<VcpuThread>(*vm_, [this](const VmExit& e, uint64_t seq) {
        last_exit_ = e;
        // Whoever sees kDone first owns the result: a polling JS thread, or CallJs.
        if (run_state_.exchange(kDone) == kAsync) tsfn_.NonBlockingCall(new Completion{e, seq});
      });
    } catch (const std::exception& e) {  // no thread could be created (pids limit, memory)
      vm_.reset();
      mem_.reset();
      closed_ = true;
      coded_error(env, "KVM_FAILED", std::string("cannot start the vCPU thread: ") + e.what()).ThrowAsJavaScriptException();
      return;
    }
    tsfn_ = Tsfn::New(env, "hl-vcpu", 0, 1, this);
    tsfn_.Unref(env);
    state_ = env.GetInstanceData<AddonState>();
    state_->live.insert(this);
  }

  ~Vm() override { Shutdown(); }

  // Idempotent; also run by the env cleanup hook and the finalizer.
  void Shutdown(bool wait = false) {
    if (closed_) return;
    closed_ = true;
    if (thread_ && run_state_.load() == kIdle && thread_->idle() && !wait && state_) {
      // Idle: the vCPU thread closes the VM itself; we do not wait for it.
      thread_->retire(std::move(vm_), std::move(mem_));
      state_->retiring.push_back(std::move(thread_));
      state_->reap(false);
    } else if (thread_) {
      thread_->stop();  // a run may be in progress: stop and join it first
    }
    thread_.reset();
    if (tsfn_) tsfn_.Abort();  // queued results are dropped: no callback after close
    vm_.reset();
    mem_.reset();
    if (state_) state_->live.erase(this);
  }

 private:
  bool CheckOpen(Napi::Env env) {
    if (closed_) coded_error(env, "SANDBOX_CLOSED", "the sandbox was disposed").ThrowAsJavaScriptException();
    return !closed_;
  }

  // With run_state_ kIdle the run's exit is in, but the vCPU thread may not
  // have marked itself idle yet: it can be preempted between on_done and that
  // (seen on one busy or emulated CPU, where gdb's first register read after
  // a breakpoint found the thread "running"). It has no vCPU work left, so
  // wait for it, bounded: a thread that stays busy is reported as running.
  bool ThreadSettled() {
    if (!thread_) return false;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!thread_->idle()) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::yield();
    }
    return true;
  }

  static uint64_t U64(const Napi::Value& v) { return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value()); }

  Napi::Value MapRange(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    std::string err = mem_->map_range(U64(info[0]), U64(info[1]), info[2].As<Napi::Number>().Uint32Value());
    if (!err.empty()) coded_error(info.Env(), "LAYOUT", err).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    auto buf = info[1].As<Napi::Uint8Array>();
    if (!mem_->write(U64(info[0]), buf.Data(), buf.ByteLength()))
      coded_error(info.Env(), "OUT_OF_BOUNDS", "write outside guest memory").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }

  Napi::Value Read(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    uint64_t len = U64(info[1]);
    uint8_t* p = mem_->checked(U64(info[0]), len);
    if (!p) {
      coded_error(info.Env(), "OUT_OF_BOUNDS", "read outside guest memory").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Napi::Buffer<uint8_t>::Copy(info.Env(), p, len);
  }

  // run(spinUs, rip, rsp, rdi) starts from fresh registers; run(spinUs) resumes.
  // Spins up to spinUs on this thread for the exit and returns it directly;
  // past that, returns a Promise settled through the ThreadSafeFunction. The
  // spin saves the event-loop wake-up (~10-15 us here) on short guest runs.
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (run_state_.load() != kIdle) {
      coded_error(env, "BUSY", "a run is already in progress").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    double spin_us = info[0].As<Napi::Number>().DoubleValue();
    bool fresh = info.Length() >= 4;
    if (fresh) vm_->clear_cancel();
    uint64_t seq = ++run_seq_;
    run_state_.store(kPolled);
    thread_->submit(fresh, fresh ? U64(info[1]) : 0, fresh ? U64(info[2]) : 0, fresh ? U64(info[3]) : 0, seq);
    auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(static_cast<int64_t>(spin_us * 1000));
    do {
      if (run_state_.load(std::memory_order_acquire) == kDone) {
        run_state_.store(kIdle);
        return ExitObject(env, last_exit_);
      }
      _mm_pause();
    } while (std::chrono::steady_clock::now() < until);
    int expected = kPolled;
    if (!run_state_.compare_exchange_strong(expected, kAsync)) {  // finished just now
      run_state_.store(kIdle);
      return ExitObject(env, last_exit_);
    }
    pending_ = std::make_unique<Napi::Promise::Deferred>(env);
    tsfn_.Ref(env);  // keep the process alive while the guest runs
    return pending_->Promise();
  }

  static Napi::Object ExitObject(Napi::Env env, const VmExit& e) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", exit_kind_name(e.kind));
    o.Set("port", e.port);
    o.Set("value", e.value);
    if (e.kind == ExitKind::kIo) return o;
    o.Set("rip", Napi::BigInt::New(env, e.rip));
    o.Set("rsp", Napi::BigInt::New(env, e.rsp));
    o.Set("cr2", Napi::BigInt::New(env, e.cr2));
    o.Set("vector", e.vector);
    o.Set("errorCode", static_cast<double>(e.error_code));
    o.Set("reason", e.reason);
    o.Set("errno", e.sys_errno);
    return o;
  }

  // A result for a Promise: the exit and the run it belongs to. A kill() may
  // have settled that run already (see Kill), so CallJs checks the sequence.
  struct Completion {
    VmExit exit;
    uint64_t seq;
  };

  static void CallJs(Napi::Env env, Napi::Function, Vm* self, Completion* data) {
    std::unique_ptr<Completion> c(data);
    if (env == nullptr || !self->pending_ || c->seq != self->run_seq_.load()) return;
    self->Settle(env, c->exit);
  }

  void Settle(Napi::Env env, const VmExit& e) {
    tsfn_.Unref(env);
    run_state_.store(kIdle);
    auto d = std::move(pending_);
    d->Resolve(ExitObject(env, e));
  }

  using Tsfn = Napi::TypedThreadSafeFunction<Vm, Completion, &Vm::CallJs>;

  // kill(spinUs): cancels the run. If the guest is running asynchronously,
  // waits up to spinUs for it to stop and settles its Promise right here,
  // sparing the event-loop wake-up of the ThreadSafeFunction (~50-100 us).
  Napi::Value Kill(const Napi::CallbackInfo& info) {
    if (closed_) return info.Env().Undefined();
    vm_->request_cancel();
    double spin_us = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    if (spin_us <= 0 || !pending_ || run_state_.load() != kAsync) return info.Env().Undefined();
    auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(static_cast<int64_t>(spin_us * 1000));
    while (run_state_.load(std::memory_order_acquire) != kDone && std::chrono::steady_clock::now() < until) _mm_pause();
    if (run_state_.load() == kDone) {
      run_seq_++;  // the Completion the thread posted is now stale
      Settle(info.Env(), last_exit_);
    }
    return info.Env().Undefined();
  }

  // pause(): stops the run with a "paused" exit; run(spinUs) resumes it (a
  // debugger's interrupt: KvmVm::request_pause).
  Napi::Value Pause(const Napi::CallbackInfo& info) {
    if (!closed_) vm_->request_pause();
    return info.Env().Undefined();
  }

  Napi::Value Id(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), closed_ ? 0 : static_cast<double>(vm_->id()));
  }

  Napi::Value TscKhz(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), closed_ ? 0 : static_cast<double>(vm_->tsc_khz()));
  }

  // registers(): the guest's registers after the last exit (GuestRegs), as
  // bigints by name, for a core dump; undefined while a run is in progress.
  Napi::Value Registers(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    GuestRegs g;
    if (closed_ || run_state_.load() != kIdle || !ThreadSettled() || !vm_->guest_registers(g)) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    const std::pair<const char*, uint64_t> regs[] = {
        {"rax", g.rax}, {"rbx", g.rbx}, {"rcx", g.rcx}, {"rdx", g.rdx}, {"rsi", g.rsi}, {"rdi", g.rdi},
        {"rbp", g.rbp}, {"rsp", g.rsp}, {"r8", g.r8}, {"r9", g.r9}, {"r10", g.r10}, {"r11", g.r11},
        {"r12", g.r12}, {"r13", g.r13}, {"r14", g.r14}, {"r15", g.r15}, {"rip", g.rip}, {"rflags", g.rflags},
        {"cs", g.cs}, {"ss", g.ss}, {"ds", g.ds}, {"es", g.es}, {"fs", g.fs}, {"gs", g.gs},
        {"fsBase", g.fs_base}, {"gsBase", g.gs_base}};
    for (const auto& [name, value] : regs) o.Set(name, Napi::BigInt::New(env, value));
    return o;
  }

  // setRegisters(regs, fresh): the registers the next run(spinUs) resumes with
  // (a debugger's continue or step); KvmVm::set_guest_registers says what is kept.
  Napi::Value SetRegisters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (run_state_.load() != kIdle || !ThreadSettled()) {
      coded_error(env, "BUSY", "cannot set registers while a run is in progress").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = info[0].As<Napi::Object>();
    auto get = [&](const char* name) -> uint64_t {
      Napi::Value v = o.Get(name);
      bool lossless = false;
      return v.IsBigInt() ? v.As<Napi::BigInt>().Uint64Value(&lossless) : 0;
    };
    GuestRegs g;
    g.rax = get("rax"), g.rbx = get("rbx"), g.rcx = get("rcx"), g.rdx = get("rdx"), g.rsi = get("rsi");
    g.rdi = get("rdi"), g.rbp = get("rbp"), g.rsp = get("rsp"), g.r8 = get("r8"), g.r9 = get("r9");
    g.r10 = get("r10"), g.r11 = get("r11"), g.r12 = get("r12"), g.r13 = get("r13"), g.r14 = get("r14");
    g.r15 = get("r15"), g.rip = get("rip"), g.rflags = get("rflags"), g.fs_base = get("fsBase"), g.gs_base = get("gsBase");
    std::string err = vm_->set_guest_registers(g, info.Length() > 1 && info[1].ToBoolean().Value());
    if (!err.empty()) coded_error(env, "KVM_FAILED", err).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // startProfile(hz, maxSamples) / stopProfile() -> { frames, starts, dropped }
  // (KvmVm::start_sampling: the profiler's mechanism; the rest is in TS).
  Napi::Value StartProfile(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    uint32_t hz = info[0].As<Napi::Number>().Uint32Value();
    uint32_t max = info[1].As<Napi::Number>().Uint32Value();
    if (hz < 1 || hz > 100000 || max < 1 || max > 10000000) {
      coded_error(info.Env(), "USAGE", "profile rate must be 1-100000 Hz and samples 1-10000000").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    std::string err = vm_->start_sampling(hz, max);
    if (!err.empty()) coded_error(info.Env(), "KVM_FAILED", err).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }

  Napi::Value StopProfile(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    KvmVm::Samples s;
    if (!closed_) s = vm_->stop_sampling();
    auto frames = Napi::BigUint64Array::New(env, s.frames.size());
    if (!s.frames.empty()) memcpy(frames.Data(), s.frames.data(), s.frames.size() * 8);
    auto starts = Napi::Uint32Array::New(env, s.starts.size());
    if (!s.starts.empty()) memcpy(starts.Data(), s.starts.data(), s.starts.size() * 4);
    Napi::Object o = Napi::Object::New(env);
    o.Set("frames", frames);
    o.Set("starts", starts);
    o.Set("dropped", Napi::Number::New(env, static_cast<double>(s.dropped)));
    return o;
  }

  Napi::Value ExitCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), closed_ ? 0 : static_cast<double>(vm_->exit_count()));
  }

  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    if (run_state_.load() != kIdle) {
      coded_error(info.Env(), "BUSY", "cannot snapshot while a run is in progress").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    if (!SyncDirty(info.Env())) return info.Env().Undefined();
    std::string err;
    try {
      err = mem_->snapshot(U64(info[0]), U64(info[1]));
    } catch (const std::exception& e) {  // bad_alloc: no memory for the copy
      err = std::string("cannot take a snapshot: ") + e.what();
    }
    if (!err.empty()) {
      coded_error(info.Env(), "LAYOUT", err).ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    try {
      vm_->save_state();  // the CPU half of the snapshot
    } catch (const std::exception& e) {
      coded_error(info.Env(), "KVM_FAILED", e.what()).ThrowAsJavaScriptException();
    }
    return info.Env().Undefined();
  }

  Napi::Value Restore(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    if (run_state_.load() != kIdle) {
      coded_error(info.Env(), "BUSY", "cannot restore while a run is in progress").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    if (!SyncDirty(info.Env())) return info.Env().Undefined();
    int64_t pages = mem_->restore();
    if (pages < 0) {
      coded_error(info.Env(), "NO_SNAPSHOT", "no snapshot to restore").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    // The whole vCPU state goes back too, crashed or not: ring 3 can change
    // vector registers, x87, MXCSR, PKRU, FS/GS base and segment selectors.
    try {
      vm_->restore_state();
    } catch (const std::exception& e) {
      coded_error(info.Env(), "KVM_FAILED", e.what()).ThrowAsJavaScriptException();
    }
    return Napi::Number::New(info.Env(), static_cast<double>(pages));
  }

  bool SyncDirty(Napi::Env env) {
    if (!vm_->fetch_dirty_log(dirty_)) {
      coded_error(env, "KVM_FAILED", "KVM_GET_DIRTY_LOG failed").ThrowAsJavaScriptException();
      return false;
    }
    mem_->note_dirty(dirty_);
    return true;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    if (pending_) {  // the run was cancelled by close; settle it
      auto d = std::move(pending_);
      Napi::Object o = Napi::Object::New(info.Env());
      o.Set("kind", "cancelled");
      d->Resolve(o);
    }
    return info.Env().Undefined();
  }

  std::shared_ptr<GuestMemory> mem_;
  std::unique_ptr<KvmVm> vm_;
  std::unique_ptr<VcpuThread> thread_;
  Tsfn tsfn_;
  VmExit last_exit_;
  std::vector<uint64_t> dirty_;
  std::unique_ptr<Napi::Promise::Deferred> pending_;
  enum : int { kIdle, kPolled, kAsync, kDone };
  std::atomic<int> run_state_{kIdle};
  std::atomic<uint64_t> run_seq_{0};  // which run a posted Completion belongs to
  AddonState* state_ = nullptr;
  bool closed_ = false;

};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* state = new AddonState();
  env.SetInstanceData<AddonState>(state);
  env.AddCleanupHook([state] {
    auto live = state->live;
    for (Vm* vm : live) vm->Shutdown(true);
    state->reap(true);
  });
  exports.Set("Vm", Vm::Define(env));
  // interrupt(id): cancels the run of VM `id`, from any thread (worker) of the process.
  exports.Set("interrupt", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    double id = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    return Napi::Boolean::New(info.Env(), id > 0 && KvmVm::cancel_by_id(static_cast<uint64_t>(id)));
  }));
  exports.Set("abiVersion", Napi::Number::New(env, HL_ABI_VERSION));
  exports.Set("maxGuestMemory", Napi::Number::New(env, static_cast<double>(HL_MAX_GUEST_MEMORY)));
  return exports;
}

}  // namespace
}  // namespace hl

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return hl::Init(env, exports); }
NODE_API_MODULE(hl, InitAddon)
