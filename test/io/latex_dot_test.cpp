// Expressions as LaTeX (to_latex) and as Graphviz digraphs (to_dot).
#include <xtad/io/dot.hpp>
#include <xtad/io/latex.hpp>
#include <xtad/ops.hpp>
#include <xtad/reverse.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace xtad;

TEST_CASE("to_latex: the notebook's Q and its derivatives") {
    auto const a = var<"a">(xt::xarray<double>{1., 2.});
    auto const b = var<"b">(xt::xarray<double>{3., 4.});
    auto const Q = 3 * pow<3>(a) - pow<2>(b);
    CHECK(to_latex(Q) == "3 a^{3} - b^{2}");
    auto const dQ_da = derivative(Q, wrt(a), ones_like(Q));
    CHECK(to_latex(dQ_da) == "9 a^{2}");
    CHECK(to_latex(derivative(dQ_da, wrt(a), ones_like(dQ_da))) == "18 a");
    CHECK(to_latex(derivative(Q, wrt(b), ones_like(Q))) == "-2 b");
    CHECK(to_latex(derivative(sqrt(a), wrt(a), ones_like(a))) == "\\frac{1}{2 \\sqrt{a}}");
}

TEST_CASE("to_latex: parentheses only where they are needed") {
    auto const a = var<"a">(xt::xarray<double>{1.});
    auto const b = var<"b">(xt::xarray<double>{2.});
    auto const c = var<"c">(xt::xarray<double>{3.});
    CHECK(to_latex(a - (b - c)) == "a - \\left(b - c\\right)");
    CHECK(to_latex((a - b) - c) == "a - b - c");
    CHECK(to_latex(a + (b - c)) == "a + b - c");
    CHECK(to_latex((a + b) * c) == "\\left(a + b\\right) c");
    CHECK(to_latex(a * (b + c)) == "a \\left(b + c\\right)");
    CHECK(to_latex(-(a + b)) == "-\\left(a + b\\right)");
    CHECK(to_latex(-(a * b)) == "-a b");
    CHECK(to_latex(a / (b * c)) == "\\frac{a}{b c}");
    CHECK(to_latex((a / b) / c) == "\\frac{\\frac{a}{b}}{c}");
    CHECK(to_latex(a / b * c) == "\\frac{a}{b} c");
    CHECK(to_latex(pow<2>(a + b)) == "\\left(a + b\\right)^{2}");
    CHECK(to_latex(pow<2>(a / b)) == "\\left(\\frac{a}{b}\\right)^{2}");
    CHECK(to_latex(pow<2>(pow<3>(a))) == "\\left(a^{3}\\right)^{2}");
    CHECK(to_latex(pow<-2>(a)) == "a^{-2}");
    CHECK(to_latex(pow<2>(-a)) == "\\left(-a\\right)^{2}");
    CHECK(to_latex(pow(a, b + c)) == "a^{b + c}");
}

TEST_CASE("to_latex: numbers") {
    auto const a = var<"a">(xt::xarray<double>{1.});
    CHECK(to_latex(a * -2.) == "-2 a");
    CHECK(to_latex(a + -2.) == "a + \\left(-2\\right)");
    CHECK(to_latex(a - -2.5) == "a - \\left(-2.5\\right)");
    CHECK(to_latex(pow(-2., a)) == "\\left(-2\\right)^{a}");
    CHECK(to_latex(pow(a, -1.5)) == "a^{-1.5}");
    CHECK(to_latex(1e-5 * a) == "1 \\cdot 10^{-5} a");
    CHECK(to_latex(a * (2 * a)) == "a \\cdot 2 a");
    CHECK(to_latex(a * 2 * 3) == "6 a");
    CHECK(to_latex(-((-2. * a) * a)) == "-\\left(-2 a a\\right)");
    CHECK(to_latex(make_static<1, 2>() * a) == "\\frac{1}{2} a");
    CHECK(to_latex(make_static<-1, 2>() * a) == "-\\frac{1}{2} a");
}

TEST_CASE("to_latex: functions, relations and where") {
    auto const a = var<"a">(xt::xarray<double>{1.});
    auto const b = var<"b">(xt::xarray<double>{2.});
    CHECK(to_latex(sin(a) * cos(b)) == "\\sin\\left(a\\right) \\cos\\left(b\\right)");
    CHECK(to_latex(exp(2 * a)) == "e^{2 a}");
    CHECK(to_latex(pow<2>(exp(a))) == "\\left(e^{a}\\right)^{2}");
    CHECK(to_latex(asin(a) + atanh(b))
          == "\\arcsin\\left(a\\right) + \\operatorname{atanh}\\left(b\\right)");
    CHECK(to_latex(abs(a) + cbrt(b) + log2(a) + log10(b))
          == "\\left|a\\right| + \\sqrt[3]{b} + \\log_{2}\\left(a\\right) + "
             "\\log_{10}\\left(b\\right)");
    CHECK(to_latex(sigmoid(a) * erf(b))
          == "\\sigma\\left(a\\right) \\operatorname{erf}\\left(b\\right)");
    CHECK(to_latex(atan2(a, b)) == "\\operatorname{atan2}\\left(a, b\\right)");
    CHECK(to_latex(maximum(a, b) - minimum(a, b))
          == "\\max\\left(a, b\\right) - \\min\\left(a, b\\right)");
    CHECK(to_latex(clamp(a, -1, 0.5)) == "\\operatorname{clamp}\\left(a, -1, 0.5\\right)");
    CHECK(to_latex(where(a > 0., a, -a)) == "\\operatorname{where}\\left(a > 0, a, -a\\right)");
    CHECK(to_latex(derivative(pow(a, b), wrt(b), ones_like(a)))
          == "\\operatorname{where}\\left(a = 0 \\land b \\geq 0, 0, a^{b} "
             "\\log\\left(a\\right)\\right)");
    CHECK(to_latex(where((a <= b) | (a != 1.), a, b))
          == "\\operatorname{where}\\left(a \\leq b \\lor a \\neq 1, a, b\\right)");
}

TEST_CASE("to_latex: names, tensors, reductions and views") {
    auto const a = var<"a">(xt::xarray<double>{1., 2.});
    auto const b = var<"b">(xt::xarray<double>{3., 4.});
    auto const rate = var<"rate">(xt::xarray<double>{1.});
    auto const x1 = var<"x_1">(xt::xarray<double>{1.});
    CHECK(to_latex(rate * x1) == "\\mathrm{rate} \\mathrm{x\\_1}");
    xt::xarray<double> const t{1., 2.};
    CHECK(to_latex(a * t) == "a \\mathrm{tensor}_{(2,)}");
    CHECK(to_latex(sum(a, {0}) + mean(a))
          == "\\operatorname{sum}_{0}\\left(a\\right) + "
             "\\operatorname{mean}\\left(a\\right)");
    CHECK(to_latex(prod(a) * norm(b))
          == "\\operatorname{prod}\\left(a\\right) "
             "\\operatorname{norm}\\left(b\\right)");
    CHECK(to_latex(index(a, 1)) == "a_{1}");
    CHECK(to_latex(index(a + b, 0)) == "\\left(a + b\\right)_{0}");
    CHECK(to_latex(stack(a, b)) == "\\operatorname{stack}\\left(a, b\\right)");
    CHECK(to_latex(concatenate(0, a, b)) == "\\operatorname{concatenate}_{0}\\left(a, b\\right)");
    CHECK(to_latex(reshape(a, {2, 1})) == "\\operatorname{reshape}\\left(a, (2, 1)\\right)");
    CHECK(to_latex(flatten(a)) == "\\operatorname{reshape}\\left(a, (-1,)\\right)");
    auto const n = detail::as_node(a);
    using N = decltype(n);
    CHECK(to_latex(take<N>{n, 1}) == "a_{1}");
    CHECK(to_latex(slice_along<N>{n, 0, 1, 2}) == "a_{1:2\\;\\mathrm{along}\\;0}");
    CHECK(to_latex(expand<N>{n, {2, 1}}) == "a");
    CHECK(to_latex(fit<N, double>{n, {2}, {2}}) == "a");
    CHECK(to_latex(fit<N, double>{n, {3, 2}, {2}})
          == "\\operatorname{sum\\_to}\\left(a, (2,)\\right)");
}

namespace {

/// What a digraph written by to_dot holds: node ids with their attribute lists, edges.
struct digraph {
    std::map<std::string, std::string> nodes;
    std::vector<std::pair<std::string, std::string>> edges;
};

/// Parses to_dot's output, checking that it is a well-formed digraph: a header, node and edge
/// statements, a closing brace; ids declared once, edges between declared nodes, one root, and
/// every node reachable from it.
digraph parse_dot(std::string const& text) {
    std::istringstream in(text);
    std::string line;
    REQUIRE(std::getline(in, line));
    CHECK(line == "digraph \"xtad\" {");
    std::regex const node_re(R"re(  (n[0-9]+) \[label="((?:[^"\\]|\\.)*)"(, [^\]]*)?\];)re");
    std::regex const edge_re(R"re(  (n[0-9]+) -> (n[0-9]+);)re");
    digraph g;
    bool closed = false;
    while (std::getline(in, line)) {
        std::smatch m;
        INFO("line: ", line);
        REQUIRE_FALSE(closed);
        if (line == "}") {
            closed = true;
        } else if (std::regex_match(line, m, node_re)) {
            CHECK(g.nodes.emplace(m[1], std::string(m[2]) + std::string(m[3])).second);
        } else if (std::regex_match(line, m, edge_re)) {
            CHECK(g.nodes.count(m[1]) == 1);
            CHECK(g.nodes.count(m[2]) == 1);
            g.edges.emplace_back(m[1], m[2]);
        } else {
            CHECK((line == "  ordering=out;"
                   || line == "  node [shape=box, style=rounded, fontname=\"Helvetica\"];"));
        }
    }
    CHECK(closed);
    std::set<std::string> reached{"n0"};
    for (std::size_t pass = 0; pass < g.nodes.size(); ++pass) {
        for (auto const& [from, to] : g.edges) {
            if (reached.count(from)) {
                reached.insert(to);
            }
        }
    }
    CHECK(reached.size() == g.nodes.size());
    for (auto const& [from, to] : g.edges) {
        CHECK(to != "n0");
    }
    return g;
}

std::size_t count_labelled(digraph const& g, std::string const& label) {
    std::size_t n = 0;
    for (auto const& [id, attributes] : g.nodes) {
        n += attributes.rfind(label, 0) == 0
             && (attributes.size() == label.size() || attributes[label.size()] == ',');
    }
    return n;
}

/// graphviz's dot, where it is installed (it is not a dependency of xtad).
std::string find_dot() {
    char const* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        auto const candidate = std::filesystem::path(dir) / "dot";
        if (!dir.empty() && std::filesystem::is_regular_file(candidate)) {
            return candidate.string();
        }
    }
    return {};
}

} // namespace

TEST_CASE("to_dot: one node per tree node, edges to the operands, leaves drawn once") {
    auto const a = var<"a">(xt::xarray<double>{1., 2.});
    auto const b = var<"b">(xt::xarray<double>{3., 4.});
    auto const Q = 3 * pow<3>(a) - pow<2>(b);
    digraph const q = parse_dot(to_dot(Q));
    CHECK(q.nodes.size() == 7);
    CHECK(q.edges.size() == 6);
    CHECK(q.nodes.at("n0") == "-");
    CHECK(count_labelled(q, "^3") == 1);
    CHECK(count_labelled(q, "3") == 1);
    CHECK(count_labelled(q, "a") == 1);

    digraph const shared = parse_dot(to_dot(a * a + sin(a)));
    CHECK(shared.nodes.size() == 4);
    CHECK(shared.edges.size() == 5);
    CHECK(count_labelled(shared, "a") == 1);

    digraph const d = parse_dot(to_dot(derivative(Q, wrt(a), ones_like(Q))));
    CHECK(d.nodes.size() == 4); // 9*a^2
    CHECK(count_labelled(d, "9") == 1);
}

TEST_CASE("to_dot: every kind of node") {
    auto const a = var<"a">(xt::xarray<double>{1., 2.});
    auto const b = var<"b">(xt::xarray<double>{3., 4.});
    auto const q = var<"q\"\\">(xt::xarray<double>{1., 2.});
    xt::xarray<double> const t{1., 2.};
    auto const e = where(a > 0., sum(stack(a, b), {0}) * t, clamp(-b, -1, 0.5))
                   + index(concatenate(0, a, b), 3) + reshape(a, {2}) + pow(a, b) / atan2(a, q)
                   + mean(a) * 2.5;
    std::string const text = to_dot(e);
    digraph const g = parse_dot(text);
    CHECK(count_labelled(g, "a") == 1);
    CHECK(count_labelled(g, "b") == 1);
    CHECK(count_labelled(g, "q\\\"\\\\") == 1);
    CHECK(count_labelled(g, "where") == 1);
    CHECK(count_labelled(g, ">") == 1);
    CHECK(count_labelled(g, "tensor(2,)") == 1);
    CHECK(count_labelled(g, "2.5") == 1);
    CHECK(count_labelled(g, "clamp [-1, 0.5]") == 1);
    CHECK(count_labelled(g, "index [3]") == 1);
    CHECK(count_labelled(g, "concatenate axis=0") == 1);
    CHECK(count_labelled(g, "reshape (2,)") == 1);
    CHECK(count_labelled(g, "atan2") == 1);
    CHECK(count_labelled(g, "^") == 1);
    CHECK(g.nodes.at("n0") == "+");
    // Materialised nodes have a double border.
    CHECK(count_labelled(g, "sum axes=[0]") == 1);
    CHECK(g.nodes.end() != std::find_if(g.nodes.begin(), g.nodes.end(), [](auto const& n) {
              return n.second == "sum axes=[0], peripheries=2";
          }));

    auto const n = detail::as_node(a);
    using N = decltype(n);
    CHECK(count_labelled(parse_dot(to_dot(take<N>{n, 1})), "[1]") == 1);
    CHECK(count_labelled(parse_dot(to_dot(slice_along<N>{n, 0, 1, 2})), "[1:2 along 0]") == 1);
    CHECK(count_labelled(parse_dot(to_dot(expand<N>{n, {2, 1}})), "expand (2, 1)") == 1);
    CHECK(parse_dot(to_dot(fit<N, double>{n, {2}, {2}})).nodes.size() == 1);
    CHECK(count_labelled(parse_dot(to_dot(fit<N, double>{n, {3, 2}, {2}})), "sum_to (2,)") == 1);
    CHECK(parse_dot(to_dot(fit<N, double>{n, {3, 2}, {2}})).nodes.at("n0")
          == "sum_to (2,), peripheries=2");

    std::string const dot = find_dot();
    if (!dot.empty()) {
        auto const file = std::filesystem::temp_directory_path() / "xtad_latex_dot_test.dot";
        std::ofstream(file) << text;
        std::string const command = "\"" + dot + "\" -Tsvg -o /dev/null \"" + file.string() + "\"";
        CHECK(std::system(command.c_str()) == 0);
        std::filesystem::remove(file);
    } else {
        MESSAGE("graphviz's dot is not installed: the digraph is checked by the parser above only");
    }
}
