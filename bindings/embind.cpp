// The only file that includes Emscripten headers: converts JS values to core calls and results
// back to plain JS objects. Every core error becomes {error: {code, message}}, never a trap.
#include <emscripten/bind.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <cmath>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "core/status.h"
#include "models/efficientnet.h"
#include "pipeline/checker.h"
#include "pipeline/classifier.h"
#include "pipeline/video.h"

using emscripten::val;

namespace {

val error_val(const char* code, const std::string& msg) {
  val e = val::object();
  e.set("code", val(code));
  e.set("message", val(msg));
  val r = val::object();
  r.set("error", e);
  return r;
}

// Copies a JS Uint8Array/Uint8ClampedArray into wasm memory (the view is taken after the
// allocation, since growing memory detaches old views).
// Bytes copied in from JS. Not a std::vector: zero-filling and then (at -Os, in V8's baseline
// tier) destroying megabytes element by element cost more than the copy itself on cold start.
struct Bytes {
  std::unique_ptr<uint8_t[]> p;
  size_t n = 0;
  const uint8_t* data() const { return p.get(); }
  size_t size() const { return n; }
  void release() {
    p.reset();
    n = 0;
  }
};

bool copy_bytes(const val& v, Bytes& out) {
  if (!v.instanceof (val::global("Uint8Array")) && !v.instanceof (val::global("Uint8ClampedArray")))
    return false;
  out.n = v["length"].as<size_t>();
  out.p.reset(new uint8_t[out.n ? out.n : 1]);
  if (out.n) val(emscripten::typed_memory_view(out.n, out.p.get())).call<void>("set", v);
  return true;
}

dfs::CheckOptions parse_options(const val& o) {
  dfs::CheckOptions opt;
  if (o.isUndefined() || o.isNull()) return opt;
  auto num = [&](const char* k, double def) {
    val v = o[k];
    return v.isNumber() ? v.as<double>() : def;
  };
  auto flag = [&](const char* k, bool def) {
    val v = o[k];
    return v.isTrue() ? true : v.isFalse() ? false : def;
  };
  opt.detect.min_score = float(num("minFaceScore", -1));
  opt.detect.max_faces = int(std::max(1.0, std::min(1000.0, num("maxFaces", 64))));
  opt.detect.tiles = flag("tiles", true);
  opt.detect.zoom_out = flag("zoomOut", true);
  opt.detect.turned = flag("turned", true);
  opt.classify = flag("classify", true);
  opt.heatmap = flag("heatmap", false);
  double mp = num("maxPixels", 0);
  if (mp > 0) opt.limits.max_pixels = int64_t(mp);
  double mb = num("maxBytes", 0);
  if (mb > 0) opt.limits.max_bytes = size_t(mb);
  return opt;
}

val opt_str(const std::string& s) { return s.empty() ? val::null() : val(s); }

// The result's `provenance`: what the file's own metadata says. C2PA is presence here; the JS
// layer adds verification (signature, hashes, signer) when a manifest was found.
val provenance_val(const dfs::Provenance& p) {
  val out = val::object();
  if (p.c2pa) {
    val c = val::object();
    c.set("present", true);
    c.set("container", p.c2pa_container);
    c.set("bytes", double(p.c2pa_bytes));
    out.set("c2pa", c);
  } else {
    out.set("c2pa", val::null());
  }
  val m = val::object();
  m.set("ai_generator", opt_str(p.ai_generator));
  m.set("ai_evidence", opt_str(p.ai_evidence));
  m.set("digital_source_type", opt_str(p.digital_source_type));
  m.set("software", opt_str(p.software));
  m.set("camera", opt_str(p.camera));
  m.set("creator_tool", opt_str(p.creator_tool));
  out.set("metadata", m);
  out.set("ai_declared", p.ai_declared());
  val notes = val::array();
  for (const auto& n : p.unreadable) notes.call<void>("push", n);
  out.set("unreadable", notes);
  return out;
}

val result_val(const dfs::CheckResult& r) {
  val out = val::object();
  out.set("width", r.width);
  out.set("height", r.height);
  val faces = val::array();
  for (const auto& f : r.faces) {
    val face = val::object();
    val box = val::array();
    box.call<void>("push", f.det.x, f.det.y, f.det.w, f.det.h);
    face.set("box", box);
    face.set("score", f.det.score);
    val kps = val::array();
    for (auto& k : f.det.kp) {
      val p = val::array();
      p.call<void>("push", k[0], k[1]);
      kps.call<void>("push", p);
    }
    face.set("keypoints", kps);
    face.set("fake", std::isnan(f.fake) ? val::null() : val(f.fake));
    face.set("rotation", f.turns * 90);  // degrees the crop was turned to make the face upright
    if (!std::isnan(f.synthetic)) {
      val kind = val::object();
      kind.set("synthetic", f.synthetic);
      kind.set("swap", 1.f - f.synthetic);
      face.set("kind", kind);
    } else {
      face.set("kind", val::null());
    }
    if (!f.heat.empty()) {
      val hm = val::object();
      hm.set("width", f.heat_w);
      hm.set("height", f.heat_h);
      // Copy out of wasm memory: the JS side must own it.
      val arr = val::global("Float32Array").new_(f.heat.size());
      arr.call<void>("set", val(emscripten::typed_memory_view(f.heat.size(), f.heat.data())));
      hm.set("data", arr);
      val crop = val::array();
      crop.call<void>("push", f.crop[0], f.crop[1], f.crop[2], f.crop[3]);
      hm.set("crop", crop);
      face.set("heatmap", hm);
    }
    faces.call<void>("push", face);
  }
  out.set("faces", faces);
  out.set("fake", std::isnan(r.fake) ? val::null() : val(r.fake));
  out.set("provenance", r.scanned ? provenance_val(r.provenance) : val::null());
  val t = val::object();
  t.set("decode", r.decode_ms);
  t.set("detect", r.detect_ms);
  t.set("classify", r.classify_ms);
  out.set("timings", t);
  return out;
}

template <typename F>
val guarded(F&& f) {
  try {
    return f();
  } catch (const dfs::Error& e) {
    return error_val(dfs::code_name(e.code), e.message);
  } catch (const std::bad_alloc&) {
    return error_val("OUT_OF_MEMORY", "out of memory inside the WebAssembly module");
  } catch (const std::exception& e) { return error_val("INTERNAL", e.what()); } catch (...) {
    return error_val("INTERNAL", "unexpected error");
  }
}

class JsChecker {
 public:
  // role: "detectorShort" | "detectorFull" | "classifier", or undefined to go by the file.
  val loadModel(val bytes, val role) {
    return guarded([&] {
      Bytes buf;
      if (!copy_bytes(bytes, buf))
        return error_val("INVALID_ARGUMENT", "model must be a Uint8Array");
      using Role = dfs::Checker::Role;
      Role want = Role::kAny;
      if (!role.isUndefined() && !role.isNull()) {
        const std::string s = role.isString() ? role.as<std::string>() : "";
        if (s == "detectorShort")
          want = Role::kDetectorShort;
        else if (s == "detectorFull")
          want = Role::kDetectorFull;
        else if (s == "classifier")
          want = Role::kClassifier;
        else
          return error_val("INVALID_ARGUMENT",
                           "model role must be detectorShort, detectorFull or classifier");
      }
      checker_.load_model(buf.data(), buf.size(), want);
      val r = val::object();
      r.set("ok", true);
      return r;
    });
  }

  val checkEncoded(val bytes, val options) {
    return guarded([&] {
      Bytes buf;
      if (!copy_bytes(bytes, buf))
        return error_val("INVALID_ARGUMENT", "image bytes must be a Uint8Array");
      auto opt = parse_options(options);
      return result_val(checker_.check_encoded(buf.data(), buf.size(), opt));
    });
  }

  val checkPixels(val data, val width, val height, val options) {
    return pixels(data, width, height, options, nullptr);
  }

  // Video: videoBegin() starts a track set; videoFrame(rgba, w, h, t, options) checks one
  // sampled frame (as checkPixels) and adds its faces to the tracks; videoTracks() scores them.
  val videoBegin() {
    tracker_ = dfs::VideoTracker();
    val r = val::object();
    r.set("ok", true);
    return r;
  }
  val videoFrame(val data, val width, val height, val t, val options) {
    if (!t.isNumber() || !std::isfinite(t.as<double>()))
      return error_val("INVALID_ARGUMENT", "frame time t must be a finite number of seconds");
    const double seconds = t.as<double>();
    return pixels(data, width, height, options, &seconds);
  }
  val videoTracks() {
    val out = val::array();
    for (const dfs::Track& tr : tracker_.tracks()) {
      val o = val::object();
      o.set("id", tr.id);
      o.set("fake", std::isnan(tr.fake) ? val::null() : val(tr.fake));
      o.set("peak_t", tr.peak_t);
      val frames = val::array();
      for (const dfs::TrackFrame& f : tr.frames) {
        val fr = val::object();
        fr.set("t", f.t);
        val box = val::array();
        box.call<void>("push", f.det.x, f.det.y, f.det.w, f.det.h);
        fr.set("box", box);
        fr.set("fake", std::isnan(f.fake) ? val::null() : val(f.fake));
        frames.call<void>("push", fr);
      }
      o.set("frames", frames);
      out.call<void>("push", o);
    }
    val r = val::object();
    r.set("tracks", out);
    r.set("frames", tracker_.frames());
    return r;
  }

  // The container scan alone (for bytes the browser decodes, e.g. WebP or AVIF).
  val scanProvenance(val bytes) {
    return guarded([&] {
      Bytes buf;
      if (!copy_bytes(bytes, buf))
        return error_val("INVALID_ARGUMENT", "image bytes must be a Uint8Array");
      return provenance_val(dfs::scan_provenance(buf.data(), buf.size()));
    });
  }

  // Decodes like the checker does (limits, EXIF orientation) and returns RGBA pixels.
  val decode(val bytes) {
    return guarded([&] {
      Bytes buf;
      if (!copy_bytes(bytes, buf))
        return error_val("INVALID_ARGUMENT", "image bytes must be a Uint8Array");
      dfs::Image img = dfs::decode_image(buf.data(), buf.size(), dfs::DecodeLimits());
      buf.release();
      size_t n = size_t(img.w) * img.h;
      val arr = val::global("Uint8ClampedArray").new_(n * 4);
      std::vector<uint8_t> rgba(n * 4);
      for (size_t i = 0; i < n; i++) {
        rgba[4 * i] = img.rgb[3 * i];
        rgba[4 * i + 1] = img.rgb[3 * i + 1];
        rgba[4 * i + 2] = img.rgb[3 * i + 2];
        rgba[4 * i + 3] = 255;
      }
      arr.call<void>("set", val(emscripten::typed_memory_view(rgba.size(), rgba.data())));
      val r = val::object();
      r.set("width", img.w);
      r.set("height", img.h);
      r.set("data", arr);
      return r;
    });
  }

  // The header's out-of-fold rates at the default threshold (provenance.calibration.held_out,
  // written by tools/train/calibrate_product.py): rates in [0, 1] only; anything else is
  // left out (a file that is not ours still loads, it just says nothing here).
  static val held_out_rates(const dfs::Json& prov) {
    if (!prov.is_object() || !prov.has("calibration") || !prov["calibration"].is_object() ||
        !prov["calibration"].has("held_out") || !prov["calibration"]["held_out"].is_object())
      return val::null();
    const dfs::Json& h = prov["calibration"]["held_out"];
    auto rate = [](const dfs::Json& j) {
      return j.type() == dfs::Json::Type::kNumber && j.num() >= 0 && j.num() <= 1;
    };
    val r = val::object();
    int n = 0;
    for (const char* k : {"real_flagged", "real_flagged_worst_source", "inconclusive"}) {
      if (h.has(k) && rate(h[k])) r.set(k, h[k].num()), ++n;
    }
    if (h.has("fakes_caught") && h["fakes_caught"].is_object()) {
      val caught = val::object();
      for (const auto& [kind, v] : h["fakes_caught"].items())
        if (rate(v) && kind.size() <= 32) caught.set(kind, v.num()), ++n;
      r.set("fakesCaught", caught);
    }
    return n ? r : val::null();
  }

  val info() {
    val r = val::object();
    r.set("detector", checker_.has_detector());
    r.set("classifier", checker_.has_classifier());
    if (checker_.has_classifier()) {
      auto* c = const_cast<dfs::Classifier*>(checker_.classifier());
      r.set("threshold", c->threshold());
      val band = val::array();
      band.call<void>("push", c->band_lo(), c->band_hi());
      r.set("band", band);
      r.set("kindHead", c->net().has_kind());
      const dfs::Json& prov = c->header()["provenance"];
      if (prov.has("trained_on")) r.set("trainedOn", prov["trained_on"].str());
      val measured = held_out_rates(prov);
      if (!measured.isNull()) r.set("measured", measured);
      r.set("inputSize", c->net().input_h());
      r.set("attention", c->net().arch().attention_after >= 0);
    }
    return r;
  }

 private:
  // checkPixels, and with a frame time (videoFrame) the faces also go to the tracker, straight
  // from the C++ result.
  val pixels(val data, val width, val height, val options, const double* t) {
    return guarded([&] {
      if (!width.isNumber() || !height.isNumber())
        return error_val("INVALID_ARGUMENT", "width and height must be numbers");
      double w = width.as<double>(), h = height.as<double>();
      if (!(w >= 1 && h >= 1 && w <= 1e6 && h <= 1e6) || w != std::floor(w) || h != std::floor(h))
        return error_val("INVALID_ARGUMENT", "width and height must be positive integers");
      Bytes buf;
      if (!copy_bytes(data, buf))
        return error_val("INVALID_ARGUMENT",
                         "pixel data must be a Uint8Array or Uint8ClampedArray");
      if (buf.size() != size_t(w) * size_t(h) * 4)
        return error_val("INVALID_ARGUMENT", "pixel data length must be width*height*4 (RGBA)");
      auto opt = parse_options(options);
      const dfs::CheckResult r =
          checker_.check_rgba(buf.data(), int(w), int(h), size_t(w) * 4, opt);
      if (t) tracker_.add_frame(*t, r.faces);
      return result_val(r);
    });
  }

  dfs::Checker checker_;
  dfs::VideoTracker tracker_;
};

// One network run on a caller-provided, already normalized NHWC input: the engine without the
// pipeline, for oracle tests against onnxruntime-web and for side-by-side benchmarks.
class RawModel {
 public:
  val load(val bytes) {
    return guarded([&] {
      Bytes buf;
      if (!copy_bytes(bytes, buf))
        return error_val("INVALID_ARGUMENT", "model must be a Uint8Array");
      dfs::WeightsFile wf = dfs::WeightsFile::parse(buf.data(), buf.size());
      blaze_.reset();
      effnet_.reset();
      if (wf.kind() == "blazeface")
        blaze_ = std::make_unique<dfs::BlazeFace>(wf);
      else if (wf.kind() == "efficientnet")
        effnet_ = std::make_unique<dfs::EfficientNet>(wf);
      else
        return error_val("BAD_MODEL", "unknown model kind");
      val r = val::object();
      r.set("kind", val(wf.kind()));
      r.set("height", blaze_ ? blaze_->input_h() : effnet_->input_h());
      r.set("width", blaze_ ? blaze_->input_w() : effnet_->input_w());
      return r;
    });
  }

  val run(val input) {
    return guarded([&] {
      if (!blaze_ && !effnet_) return error_val("INVALID_ARGUMENT", "no model loaded");
      if (!input.instanceof (val::global("Float32Array")))
        return error_val("INVALID_ARGUMENT", "input must be a Float32Array (NHWC)");
      size_t n = blaze_ ? size_t(blaze_->input_h()) * blaze_->input_w() * 3
                        : size_t(effnet_->input_h()) * effnet_->input_w() * 3;
      if (input["length"].as<size_t>() != n)
        return error_val("INVALID_ARGUMENT", "input has the wrong length");
      float* dst = blaze_ ? blaze_->input() : effnet_->input();
      val(emscripten::typed_memory_view(n, dst)).call<void>("set", input);
      val r = val::object();
      if (blaze_) {
        blaze_->forward();
        size_t nb = size_t(blaze_->num_boxes());
        val sc = val::global("Float32Array").new_(nb);
        sc.call<void>("set", val(emscripten::typed_memory_view(nb, blaze_->scores())));
        val bx = val::global("Float32Array").new_(nb * 16);
        bx.call<void>("set", val(emscripten::typed_memory_view(nb * 16, blaze_->boxes())));
        r.set("scores", sc);
        r.set("boxes", bx);
      } else {
        r.set("logit", effnet_->forward());
        if (effnet_->has_kind()) r.set("kindLogit", effnet_->kind_logit());
      }
      return r;
    });
  }

 private:
  std::unique_ptr<dfs::BlazeFace> blaze_;
  std::unique_ptr<dfs::EfficientNet> effnet_;
};

// Heap size, so tests can prove memory stays flat across thousands of calls.
double heap_bytes() {
  return double(emscripten::val::module_property("HEAP8")["length"].as<double>());
}
// Bytes malloc has handed out and not had back. The memory size above only ever grows; this one
// falls again when memory is freed, so a leak shows up as growth across many calls.
double heap_in_use() { return double(mallinfo().uordblks); }

}  // namespace

EMSCRIPTEN_BINDINGS(deepfake_shield) {
  emscripten::class_<JsChecker>("Checker")
      .constructor<>()
      .function("loadModel", &JsChecker::loadModel)
      .function("checkEncoded", &JsChecker::checkEncoded)
      .function("scanProvenance", &JsChecker::scanProvenance)
      .function("videoBegin", &JsChecker::videoBegin)
      .function("videoFrame", &JsChecker::videoFrame)
      .function("videoTracks", &JsChecker::videoTracks)
      .function("checkPixels", &JsChecker::checkPixels)
      .function("decode", &JsChecker::decode)
      .function("info", &JsChecker::info);
  emscripten::class_<RawModel>("RawModel")
      .constructor<>()
      .function("load", &RawModel::load)
      .function("run", &RawModel::run);
  // Threads for the kernels (the threaded module only; the single-thread one stays at 1).
  emscripten::function("setThreads", &dfs::set_threads);
  emscripten::function("numThreads", &dfs::num_threads);
  emscripten::function("heapBytes", &heap_bytes);
  emscripten::function("heapInUse", &heap_in_use);
}
