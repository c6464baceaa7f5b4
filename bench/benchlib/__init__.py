#
# Copyright (C) ngx_rtk_module authors
#
# The benchmark driver's modules; bench/bench.py runs them.
#
