

module top(clock,os,en,a_in,a_vin,first_in,last_in,v_in,v_vin,slot_in,tag_in,p_in,p_vin,a_out,a_vout,first_out,last_out,v_out,v_vout,slot_out,tag_out,p_out,p_vout,ev_mac,ev_acc,ev_a_hop,ev_v_hop,ev_load,ev_swap,ev_py,ev_x);
    
    // Module arguments
    input wire  clock;
    input wire  os;
    input wire  en;
    input wire signed [7:0] a_in;
    input wire  a_vin;
    input wire  first_in;
    input wire  last_in;
    input wire signed [7:0] v_in;
    input wire  v_vin;
    input wire  slot_in;
    input wire  [7:0] tag_in;
    input wire signed [31:0] p_in;
    input wire  p_vin;
    output reg signed [7:0] a_out;
    output reg  a_vout;
    output reg  first_out;
    output reg  last_out;
    output reg signed [7:0] v_out;
    output reg  v_vout;
    output reg  slot_out;
    output reg  [7:0] tag_out;
    output reg signed [31:0] p_out;
    output reg  p_vout;
    output reg  ev_mac;
    output reg  ev_acc;
    output reg  ev_a_hop;
    output reg  ev_v_hop;
    output reg  ev_load;
    output reg  ev_swap;
    output reg  ev_py;
    output reg  ev_x;
    
    // Constant declarations
    localparam  my_row = 8'h2;
    localparam signed zero8 = 8'h0;
    localparam signed zero32 = 32'h0;
    
    // Stub signals
    reg signed [7:0] a$d;
    wire signed [7:0] a$q;
    reg  a$clock;
    reg  a_v$d;
    wire  a_v$q;
    reg  a_v$clock;
    reg  first$d;
    wire  first$q;
    reg  first$clock;
    reg  last$d;
    wire  last$q;
    reg  last$clock;
    reg signed [7:0] v$d;
    wire signed [7:0] v$q;
    reg  v$clock;
    reg  v_v$d;
    wire  v_v$q;
    reg  v_v$clock;
    reg  slot$d;
    wire  slot$q;
    reg  slot$clock;
    reg  [7:0] tag$d;
    wire  [7:0] tag$q;
    reg  tag$clock;
    reg signed [7:0] w$d;
    wire signed [7:0] w$q;
    reg  w$clock;
    reg  w_v$d;
    wire  w_v$q;
    reg  w_v$clock;
    reg signed [7:0] wn$d;
    wire signed [7:0] wn$q;
    reg  wn$clock;
    reg  wn_v$d;
    wire  wn_v$q;
    reg  wn_v$clock;
    reg signed [31:0] acc$d;
    wire signed [31:0] acc$q;
    reg  acc$clock;
    reg signed [31:0] py$d;
    wire signed [31:0] py$q;
    reg  py$clock;
    reg  py_v$d;
    wire  py_v$q;
    reg  py_v$clock;
    reg signed [31:0] x$d;
    wire signed [31:0] x$q;
    reg  x$clock;
    reg  x_v$d;
    wire  x_v$q;
    reg  x_v$clock;
    reg signed [7:0] mul$a;
    reg signed [7:0] mul$b;
    wire signed [31:0] mul$p;
    
    // Local signals
    reg  mac;
    reg signed [7:0] opnd;
    reg signed [31:0] prod;
    reg signed [31:0] base;
    reg signed [31:0] sum;
    reg  capture;
    reg  matched;
    reg  py_vnext;
    reg  x_vnext;
    
    // Sub module instances
    top$a a(
        .d(a$d),
        .q(a$q),
        .clock(a$clock)
    );
    top$a_v a_v(
        .d(a_v$d),
        .q(a_v$q),
        .clock(a_v$clock)
    );
    top$first first(
        .d(first$d),
        .q(first$q),
        .clock(first$clock)
    );
    top$last last(
        .d(last$d),
        .q(last$q),
        .clock(last$clock)
    );
    top$v v(
        .d(v$d),
        .q(v$q),
        .clock(v$clock)
    );
    top$v_v v_v(
        .d(v_v$d),
        .q(v_v$q),
        .clock(v_v$clock)
    );
    top$slot slot(
        .d(slot$d),
        .q(slot$q),
        .clock(slot$clock)
    );
    top$tag tag(
        .d(tag$d),
        .q(tag$q),
        .clock(tag$clock)
    );
    top$w w(
        .d(w$d),
        .q(w$q),
        .clock(w$clock)
    );
    top$w_v w_v(
        .d(w_v$d),
        .q(w_v$q),
        .clock(w_v$clock)
    );
    top$wn wn(
        .d(wn$d),
        .q(wn$q),
        .clock(wn$clock)
    );
    top$wn_v wn_v(
        .d(wn_v$d),
        .q(wn_v$q),
        .clock(wn_v$clock)
    );
    top$acc acc(
        .d(acc$d),
        .q(acc$q),
        .clock(acc$clock)
    );
    top$py py(
        .d(py$d),
        .q(py$q),
        .clock(py$clock)
    );
    top$py_v py_v(
        .d(py_v$d),
        .q(py_v$q),
        .clock(py_v$clock)
    );
    top$x x(
        .d(x$d),
        .q(x$q),
        .clock(x$clock)
    );
    top$x_v x_v(
        .d(x_v$d),
        .q(x_v$q),
        .clock(x_v$clock)
    );
    top$mul mul(
        .a(mul$a),
        .b(mul$b),
        .p(mul$p)
    );
    
    // Update code
    always @(*) begin
        a$clock = clock;
        a_v$clock = clock;
        first$clock = clock;
        last$clock = clock;
        v$clock = clock;
        v_v$clock = clock;
        slot$clock = clock;
        tag$clock = clock;
        w$clock = clock;
        w_v$clock = clock;
        wn$clock = clock;
        wn_v$clock = clock;
        acc$clock = clock;
        py$clock = clock;
        py_v$clock = clock;
        x$clock = clock;
        x_v$clock = clock;
        a$d = a$q;
        a_v$d = a_v$q;
        first$d = first$q;
        last$d = last$q;
        v$d = v$q;
        v_v$d = v_v$q;
        slot$d = slot$q;
        tag$d = tag$q;
        w$d = w$q;
        w_v$d = w_v$q;
        wn$d = wn$q;
        wn_v$d = wn_v$q;
        acc$d = acc$q;
        py$d = py$q;
        py_v$d = py_v$q;
        x$d = x$q;
        x_v$d = x_v$q;
        a_out = a$q;
        a_vout = a_v$q;
        first_out = first$q;
        last_out = last$q;
        v_out = v$q;
        v_vout = v_v$q;
        slot_out = slot$q;
        tag_out = tag$q;
        p_out = py$q;
        p_vout = py_v$q;
        mac = a_v$q & w_v$q;
        opnd = w$q;
        base = p_in;
        if (os) begin
            mac = a_v$q & v_v$q;
            opnd = v$q;
            base = acc$q;
        end
        mul$a = a$q;
        mul$b = opnd;
        prod = mul$p;
        sum = base + prod;
        capture = os & mac & last$q;
        if (os) begin
            if (capture) begin
                acc$d = zero32;
                py$d = sum;
                py_vnext = 1'b1;
            end
            else begin
                acc$d = sum;
                py$d = x$q;
                py_vnext = x_v$q;
            end
            x$d = p_in;
            x_vnext = p_vin;
        end
        else begin
            py$d = sum;
            py_vnext = p_vin | mac;
            x$d = zero32;
            x_vnext = 1'b0;
        end
        py_v$d = py_vnext;
        x_v$d = x_vnext;
        a$d = a_in;
        a_v$d = a_vin;
        first$d = first_in;
        last$d = last_in;
        if (first_in & ~os) begin
            w$d = wn$q;
            w_v$d = wn_v$q;
        end
        matched = slot_in & (tag_in == my_row);
        tag$d = tag_in;
        if (matched) begin
            wn$d = v_in;
            wn_v$d = v_vin;
            v$d = zero8;
            v_v$d = 1'b0;
            slot$d = 1'b0;
        end
        else begin
            v$d = v_in;
            v_v$d = v_vin;
            slot$d = slot_in;
        end
        if (~en) begin
            a$d = a$q;
            a_v$d = a_v$q;
            first$d = first$q;
            last$d = last$q;
            v$d = v$q;
            v_v$d = v_v$q;
            slot$d = slot$q;
            tag$d = tag$q;
            w$d = w$q;
            w_v$d = w_v$q;
            wn$d = wn$q;
            wn_v$d = wn_v$q;
            acc$d = acc$q;
            py$d = py$q;
            py_v$d = py_v$q;
            x$d = x$q;
            x_v$d = x_v$q;
        end
        ev_mac = mac;
        ev_acc = os & mac;
        ev_a_hop = a_vin;
        ev_v_hop = v_vin & ~matched;
        ev_load = matched & v_vin;
        ev_swap = first_in & ~os & wn_v$q;
        ev_py = py_vnext;
        ev_x = x_vnext;
    end
    
endmodule // top


module top$a(d,q,clock);
    
    // Module arguments
    input wire signed [7:0] d;
    output reg signed [7:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 8'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$a


module top$a_v(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$a_v


module top$acc(d,q,clock);
    
    // Module arguments
    input wire signed [31:0] d;
    output reg signed [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$acc


module top$first(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$first


module top$last(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$last


module top$mul(a,b,p);
    
    // Module arguments
    input wire signed [7:0] a;
    input wire signed [7:0] b;
    output reg signed [31:0] p;
    
    // Update code (custom)
    wire signed [15:0] prod16;
    assign prod16 = a * b;
    always @(*) p = {{16{prod16[15]}}, prod16};
endmodule // top$mul


module top$py(d,q,clock);
    
    // Module arguments
    input wire signed [31:0] d;
    output reg signed [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$py


module top$py_v(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$py_v


module top$slot(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$slot


module top$tag(d,q,clock);
    
    // Module arguments
    input wire  [7:0] d;
    output reg  [7:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 8'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$tag


module top$v(d,q,clock);
    
    // Module arguments
    input wire signed [7:0] d;
    output reg signed [7:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 8'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$v


module top$v_v(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$v_v


module top$w(d,q,clock);
    
    // Module arguments
    input wire signed [7:0] d;
    output reg signed [7:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 8'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$w


module top$w_v(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$w_v


module top$wn(d,q,clock);
    
    // Module arguments
    input wire signed [7:0] d;
    output reg signed [7:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 8'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$wn


module top$wn_v(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$wn_v


module top$x(d,q,clock);
    
    // Module arguments
    input wire signed [31:0] d;
    output reg signed [31:0] q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 32'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$x


module top$x_v(d,q,clock);
    
    // Module arguments
    input wire  d;
    output reg  q;
    input wire  clock;
    
    // Update code (custom)
    initial begin
       q = 1'h0;
    end
    
    always @(posedge clock) begin
       q <= d;
    end
          
endmodule // top$x_v
